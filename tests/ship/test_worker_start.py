"""The production worker (`python agent/main.py start`) as a container runs it.

No LiveKit server here: the worker is pointed at a closed local port and keeps retrying, which is
enough to check what operations rely on: JSON log lines, the health endpoint and Prometheus
metrics on the configured ports, the configured agent name and drain time, a clean exit 0 on
SIGTERM, and no need for the PortAudio library (the slim image does not have it).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
RUN_WORKER = Path(__file__).resolve().parent / "run_worker.py"
DRAIN_TIMEOUT_S = 45


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return int(resp.status), resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_for_health(proc: subprocess.Popen[bytes], url: str, stdout: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"worker exited {proc.returncode}: {stdout.read_text()[-3000:]}"
        try:
            if get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"no health endpoint at {url}: {stdout.read_text()[-3000:]}")


def test_start_worker_operations(tmp_path: Path) -> None:
    health_port, metrics_port, closed_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACME_", "LIVEKIT_"))}
    # What the framework reads itself comes from the .env file, as .env.example promises.
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        f"LIVEKIT_URL=ws://127.0.0.1:{closed_port}\n"
        "LIVEKIT_API_KEY=APIops\n"
        "LIVEKIT_API_SECRET=an-operations-test-secret-of-32-bytes-or-more\n"
        "LIVEKIT_AGENT_NAME=acme-ops-check\n"
        "LIVEKIT_LOG_LEVEL=DEBUG\n"
    )
    env.update(
        {
            "ACME_ENV_FILE": str(dotenv),
            "ACME_CONFIG": str(ROOT / "config" / "settings.toml"),
            "OPENAI_API_KEY": "unused",
            "DEEPGRAM_API_KEY": "unused",
            "CARTESIA_API_KEY": "unused",
            "ACME_STORE_URL": f"sqlite:///{tmp_path}/acme.db",
            "ACME_TRANSCRIPT_DIR": str(tmp_path / "transcripts"),
            "ACME_HEALTH_PORT": str(health_port),
            "ACME_PROMETHEUS_PORT": str(metrics_port),
            "ACME_DRAIN_TIMEOUT": str(DRAIN_TIMEOUT_S),
        }
    )
    stdout, stderr = tmp_path / "stdout", tmp_path / "stderr"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, str(RUN_WORKER), "--no-portaudio", "--", "start"],
            env=env,
            cwd="/",
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
        try:
            wait_for_health(proc, f"http://127.0.0.1:{health_port}/", stdout)
            status, body = get(f"http://127.0.0.1:{health_port}/worker")
            assert status == 200
            info = json.loads(body)
            assert info["agent_name"] == "acme-ops-check"
            status, metrics = get(f"http://127.0.0.1:{metrics_port}/metrics")
            assert status == 200
            assert "lk_agents_worker_load" in metrics

            proc.send_signal(signal.SIGTERM)
            returncode = proc.wait(timeout=DRAIN_TIMEOUT_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)

    assert returncode == 0, stderr.read_text()[-3000:]
    lines = [line for line in stdout.read_text().splitlines() if line.strip()]
    records: list[dict[str, Any]] = [json.loads(line) for line in lines]  # every line is JSON
    for record in records:
        assert {"message", "level", "name", "timestamp"} <= record.keys(), record
    assert "DEBUG" in {r["level"] for r in records}  # LIVEKIT_LOG_LEVEL from .env
    by_message = {r["message"]: r for r in records}
    assert "starting worker" in by_message
    assert by_message["draining worker"]["timeout"] == DRAIN_TIMEOUT_S
    assert "shutting down worker" in by_message
    assert "PortAudio" not in stderr.read_text()
