"""`python agent/main.py` as a user runs it: bad config stops startup with one line and exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "agent" / "main.py"


def run(
    args: list[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ACME_", "LIVEKIT_"))}
    for key in ("OPENAI_API_KEY", "DEEPGRAM_API_KEY", "CARTESIA_API_KEY"):
        clean.pop(key, None)
    clean["ACME_CONFIG"] = str(ROOT / "config" / "settings.toml")
    return subprocess.run(
        [sys.executable, str(MAIN), *args],
        env={**clean, **env},
        cwd="/",
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "config error: DEEPGRAM_API_KEY is required for mode=pipeline"),
        (
            {"ACME_MODE": "realtime_text", "OPENAI_API_KEY": "x"},
            "config error: CARTESIA_API_KEY is required for mode=realtime_text",
        ),
        ({"ACME_MODE": "realtime"}, "config error: OPENAI_API_KEY is required for mode=realtime"),
        ({"ACME_MODE": "phone"}, "config error: ACME_MODE: Input should be 'realtime'"),
        (
            {"ACME_MODE": "realtime", "OPENAI_API_KEY": "x", "ACME_STORE_URL": "redis://x"},
            "config error: ACME_STORE_URL: String should match pattern",
        ),
    ],
)
@pytest.mark.parametrize("command", ["console", "start"])
def test_bad_config_exits_2_with_one_line(command: str, env: dict[str, str], message: str) -> None:
    proc = run([command], env)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message)


@pytest.mark.parametrize("command", ["dev", "start", "connect"])
def test_worker_commands_need_the_livekit_server(command: str) -> None:
    keys = {"ACME_MODE": "realtime", "OPENAI_API_KEY": "x"}
    proc = run([command], keys)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == f"config error: LIVEKIT_URL is required for {command}"


def test_bad_settings_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "settings.toml"
    bad.write_text("[realtime]\ntemperature = 3\n")
    proc = run(["dev"], {"ACME_CONFIG": str(bad), "OPENAI_API_KEY": "x"})
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "config error: settings.toml: realtime.temperature: "
        "Input should be less than or equal to 1.2 (got 3)"
    )


def test_help_needs_no_keys() -> None:
    proc = run(["--help"], {})
    assert proc.returncode == 0, proc.stderr
    for command in ("console", "dev", "start", "download-files"):
        assert command in proc.stdout


def test_download_files_needs_no_keys() -> None:
    proc = run(["download-files"], {}, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
