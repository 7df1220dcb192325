"""The Dockerfile builds what the README runs: same lock, same Python, files that exist, no secrets.

No Docker engine runs here; `scripts/docker-steps` (in CI) replays the install and download steps.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from scripts.docker_steps import logical_lines, mapped

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Stage:
    image: str
    name: str
    lines: list[tuple[bool, str, str]] = field(default_factory=list)  # (marked, op, rest)

    def ops(self, op: str) -> list[str]:
        return [rest for _, o, rest in self.lines if o == op]


def stages() -> list[Stage]:
    args: dict[str, str] = {}
    out: list[Stage] = []
    for marked, line in logical_lines((ROOT / "Dockerfile").read_text()):
        op, _, rest = line.partition(" ")
        rest = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], rest)
        if op == "ARG" and not out:
            key, _, value = rest.partition("=")
            args[key] = value
        elif op == "FROM":
            parts = rest.split()
            out.append(Stage(image=parts[0], name=parts[-1] if "AS" in parts else ""))
        else:
            out[-1].lines.append((marked, op, rest))
    return out


def dockerignored(path: str) -> bool:
    """Whether the build context leaves `path` out (Go filepath.Match per segment, `**`, `!`)."""
    patterns = [
        p.strip()
        for p in (ROOT / ".dockerignore").read_text().splitlines()
        if p.strip() and not p.startswith("#")
    ]

    def match(pattern: list[str], parts: list[str]) -> bool:
        if not pattern:
            return not parts
        if pattern[0] == "**":
            return any(match(pattern[1:], parts[i:]) for i in range(len(parts) + 1))
        return (
            bool(parts)
            and fnmatch.fnmatchcase(parts[0], pattern[0])
            and match(pattern[1:], parts[1:])
        )

    parts = path.strip("/").split("/")
    excluded = False
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw.lstrip("!").strip("/").split("/")
        # a pattern matching a parent directory excludes everything under it
        if any(match(pattern, parts[:n]) for n in range(1, len(parts) + 1)):
            excluded = not negate
    return excluded


def copies(stage: Stage) -> list[tuple[list[str], str]]:
    out = []
    for rest in stage.ops("COPY"):
        if rest.startswith("--from"):
            continue
        *sources, dest = shlex.split(rest)
        out.append((sources, dest))
    return out


def final() -> Stage:
    return stages()[-1]


def test_multi_stage_on_the_python_the_project_requires() -> None:
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    all_stages = stages()
    assert len(all_stages) >= 2
    for stage in all_stages:
        m = re.fullmatch(r"python:(\d+\.\d+)(?:\.\d+)?-slim(?:-\w+)?", stage.image)
        assert m, f"{stage.image}: use a slim python image"
        assert Version(m.group(1)) in SpecifierSet(requires), (stage.image, requires)
    assert final().ops("COPY") and any(r.startswith("--from=") for r in final().ops("COPY"))


def test_every_copied_file_exists_and_reaches_the_build_context() -> None:
    seen = 0
    for stage in stages():
        for sources, _dest in copies(stage):
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: no such file"
                assert not dockerignored(source), f"COPY {source}: excluded by .dockerignore"
                seen += 1
    assert seen >= 4


def test_the_entry_point_is_copied_to_the_workdir() -> None:
    stage = final()
    assert stage.ops("CMD")[-1] == '["python", "agent/main.py", "start"]'
    workdir = stage.ops("WORKDIR")[-1]
    entry = "agent/main.py"
    copied = [(source, dest) for sources, dest in copies(stage) for source in sources if source]
    assert any(
        (Path(workdir) / dest / Path(entry).relative_to(source.rstrip("/"))).as_posix()
        == f"{workdir}/{entry}"
        for source, dest in copied
        if entry.startswith(source.rstrip("/") + "/")
    ), "agent/main.py is not copied where CMD runs it"
    assert (ROOT / entry).is_file()
    for package in ("agent", "tools", "config"):
        assert any(s.rstrip("/") == package for s, _ in copied), f"{package}/ not copied"


def test_installs_the_lock_the_readme_run_command_installs() -> None:
    install = [
        rest
        for stage in stages()
        for marked, op, rest in stage.lines
        if op == "RUN" and "pip install" in rest
    ]
    assert len(install) == 1
    flags = shlex.split(re.sub(r"--mount=\S+", "", install[0]))
    assert "--require-hashes" in flags and "--no-deps" in flags
    lock = flags[flags.index("-r") + 1]
    # scripts/agent (how people run the agent) installs scripts/setup's default lock.
    agent_script = (ROOT / "scripts" / "agent").read_text()
    assert re.search(r"^scripts/setup$", agent_script, re.M), "scripts/agent must run setup"
    setup = (ROOT / "scripts" / "setup").read_text()
    m = re.search(r"^lock=(\S+)$", setup, re.M)
    assert m is not None
    assert lock == m.group(1) == "requirements.lock"
    assert any(lock in sources for stage in stages() for sources, _ in copies(stage))


def test_download_files_runs_at_build_time_and_the_user_is_not_root() -> None:
    stage = final()
    ops = [op for _, op, _ in stage.lines]
    runs = [(marked, rest) for marked, op, rest in stage.lines if op == "RUN"]
    assert (True, "python agent/main.py download-files") in runs
    users = stage.ops("USER")
    assert users and users[-1] not in ("root", "0")
    assert ops.index("USER") < ops.index("CMD")
    assert ops.index("COPY") < ops.index("USER")


def test_install_and_download_steps_are_marked_for_ci() -> None:
    marked = [rest for s in stages() for m, op, rest in s.lines if m and op == "RUN"]
    assert any("pip install" in r for r in marked)
    assert any("download-files" in r for r in marked)
    assert "scripts/docker-steps" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".env.local",
        ".env.production",
        ".env.example",
        ".git/config",
        ".venv/bin/python",
        "tests/ship/test_dockerfile.py",
        "data/acme.db",
        "data/transcripts/call.jsonl",
        "agent/__pycache__/main.cpython-311.pyc",
        "requirements-dev.lock",
        ".pytest_cache/v/cache",
    ],
)
def test_secrets_tests_data_and_caches_stay_out(path: str) -> None:
    assert dockerignored(path)


@pytest.mark.parametrize(
    "path",
    ["requirements.lock", "agent/main.py", "tools/support.py", "config/prompts/support.md"],
)
def test_what_the_image_needs_goes_in(path: str) -> None:
    assert (ROOT / path).exists()
    assert not dockerignored(path)


def test_docker_steps_reads_marks_continuations_and_maps_paths(tmp_path: Path) -> None:
    text = (
        "# docker-steps\nRUN --mount=type=cache,target=/root/.cache \\\n    /opt/venv/bin/pip x\n"
    )
    text += "RUN useradd acme\nWORKDIR /app\n"
    lines = logical_lines(text)
    assert lines == [
        (True, "RUN --mount=type=cache,target=/root/.cache /opt/venv/bin/pip x"),
        (False, "RUN useradd acme"),
        (False, "WORKDIR /app"),
    ]
    assert mapped("/opt/venv/bin/pip -r /app/x /apple", tmp_path) == (
        f"{tmp_path}/opt/venv/bin/pip -r {tmp_path}/app/x /apple"
    )
