"""Replay the Dockerfile's install and download steps in a fresh virtualenv, without Docker.

Follows the Dockerfile in order: ENV and WORKDIR are applied, COPY from the build context is
mirrored into a temporary root, and every RUN marked `# docker-steps` runs there, with the
image's absolute paths (/opt/venv, /app, ...) mapped under that root. Unmarked RUN steps
(users, permissions) are skipped. The pip cache stands in for BuildKit's cache mount, so a
re-run installs in seconds. Usage: scripts/docker-steps [--keep] [--dockerfile PATH]
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK = "# docker-steps"
IMAGE_PATHS = re.compile(r"(?<![\w.])(/opt/|/tmp/|/app(?![\w-])|/build(?![\w-]))")


def logical_lines(text: str) -> list[tuple[bool, str]]:
    """(marked, instruction) pairs: continuations joined, comments dropped, marks attached."""
    out: list[tuple[bool, str]] = []
    marked, current = False, ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and line.startswith("#"):
            marked = marked or line == MARK
            continue
        if not line and not current:
            continue
        current += (" " if current else "") + line.removesuffix("\\").strip()
        if not line.endswith("\\"):
            out.append((marked, current))
            marked, current = False, ""
    return out


def mapped(text: str, root: Path) -> str:
    """Put the image's absolute paths under `root`."""
    return IMAGE_PATHS.sub(lambda m: str(root) + m.group(1), text)


def copy_in(src: Path, dest: Path, *, into_dir: bool) -> None:
    """COPY one source from the build context (caches and bytecode left out)."""
    if src.is_dir():
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(src, dest, dirs_exist_ok=True, ignore=ignore)
        return
    target = dest / src.name if into_dir else dest
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, target)


def python_for(image: str) -> str:
    """The local interpreter matching the image's Python (python:3.11-slim -> python3.11)."""
    m = re.match(r"python:(\d+\.\d+)", image)
    if not m:
        sys.exit(f"docker-steps: cannot tell the Python version of {image!r}")
    exe = shutil.which(f"python{m.group(1)}")
    if exe is None:
        sys.exit(f"docker-steps: python{m.group(1)} not found (the image uses {image})")
    return exe


def replay(dockerfile: Path, root: Path) -> int:
    args: dict[str, str] = {}
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    workdir = root
    python = ""
    ran = 0
    for marked, line in logical_lines(dockerfile.read_text()):
        op, _, rest = line.partition(" ")
        op = op.upper()
        rest = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), rest)
        if op == "ARG" and "=" in rest:
            key, _, value = rest.partition("=")
            args[key.strip()] = value.strip()
        elif op == "FROM":
            python = python_for(rest.split()[0])
            shims = root / ".python-shim"
            shims.mkdir(exist_ok=True)
            for name in ("python", "python3"):
                (shims / name).unlink(missing_ok=True)
                (shims / name).symlink_to(python)
            env = dict(os.environ, PATH=f"{shims}{os.pathsep}{os.environ['PATH']}")
            env.pop("VIRTUAL_ENV", None)
            workdir = root
        elif op == "ENV":
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                env[key] = mapped(value, root).replace("$PATH", env["PATH"])
        elif op == "WORKDIR":
            workdir = Path(mapped(rest.strip(), root))
            workdir.mkdir(parents=True, exist_ok=True)
        elif op == "COPY" and not rest.startswith("--from"):
            *sources, dest = shlex.split(rest)
            base = Path(mapped(dest, root)) if dest.startswith("/") else workdir / dest
            for source in sources:
                copy_in(ROOT / source, base, into_dir=dest.endswith("/"))
        elif op == "RUN" and marked:
            command = mapped(re.sub(r"--mount=\S+\s*", "", rest), root)
            print(f"docker-steps: RUN {command}", flush=True)
            proc = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=workdir, env=env)
            if proc.returncode != 0:
                print(
                    f"docker-steps: step failed with exit code {proc.returncode}", file=sys.stderr
                )
                return proc.returncode
            ran += 1
    if ran == 0:
        print("docker-steps: no RUN step is marked '# docker-steps'", file=sys.stderr)
        return 1
    print(f"docker-steps: {ran} steps passed", flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dockerfile", type=Path, default=ROOT / "Dockerfile")
    parser.add_argument("--keep", action="store_true", help="keep the temporary root")
    opts = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="docker-steps-"))
    try:
        return replay(opts.dockerfile, root)
    finally:
        if opts.keep:
            print(f"docker-steps: kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
