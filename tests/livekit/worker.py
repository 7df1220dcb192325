"""The agent worker as users run it (`python agent/main.py dev | start`), pointed at the local
LiveKit server and the provider simulators, with its logs captured as JSON lines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from simulators.livekit import LiveKitServerThread
from simulators.server import SimulatorThread

ROOT = Path(__file__).resolve().parents[2]
RUN_WORKER = ROOT / "tests" / "ship" / "run_worker.py"


def worker_env(
    livekit: LiveKitServerThread, providers: SimulatorThread, workdir: Path, **settings: str
) -> dict[str, str]:
    """A pipeline-mode worker on a real SQLite store in `workdir`; `settings` add ACME_* vars."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACME_", "LIVEKIT_"))}
    credentials = livekit.server.credentials
    env.update(
        {
            "ACME_CONFIG": str(ROOT / "config" / "settings.toml"),
            "ACME_MODE": "pipeline",
            "OPENAI_API_KEY": "sim",
            "DEEPGRAM_API_KEY": "sim",
            "CARTESIA_API_KEY": "sim",
            "ACME_OPENAI_BASE_URL": providers.openai_base_url,
            "ACME_LLM_BASE_URL": providers.openai_base_url,
            "ACME_DEEPGRAM_BASE_URL": providers.deepgram_base_url,
            "ACME_CARTESIA_BASE_URL": providers.cartesia_base_url,
            "ACME_STORE_URL": f"sqlite:///{workdir}/acme.db",
            "ACME_TRANSCRIPT_DIR": str(workdir / "transcripts"),
            "ACME_HEALTH_PORT": "0",
            "LIVEKIT_URL": livekit.url,
            "LIVEKIT_API_KEY": credentials.api_key,
            "LIVEKIT_API_SECRET": credentials.api_secret,
        }
    )
    env.update(settings)
    return env


class WorkerProcess:
    """`python agent/main.py <command>` in its own process group; logs in `workdir/<name>.log`."""

    def __init__(self, command: str, *, env: dict[str, str], workdir: Path, name: str) -> None:
        self.json_log = workdir / f"{name}.jsonl"
        self.output = workdir / f"{name}.out"
        self.transcripts = Path(env["ACME_TRANSCRIPT_DIR"])
        with self.output.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(RUN_WORKER), "--json-log", str(self.json_log), "--", command],
                env=env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def logs(self) -> list[dict[str, Any]]:
        if not self.json_log.exists():
            return []
        lines = self.json_log.read_text(encoding="utf-8", errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def logged(self, message: str) -> list[dict[str, Any]]:
        return [r for r in self.logs() if r.get("message") == message]

    def transcript_records(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for path in sorted(self.transcripts.glob("*.jsonl")):
            records += [json.loads(x) for x in path.read_text().splitlines() if x]
        return records

    def wait_until(self, what: str, check: Callable[[], bool], timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"worker exited ({self.proc.returncode}) before {what}: {self.tail()}"
                )
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}: {self.tail()}")

    def tail(self) -> str:
        return self.output.read_text(errors="replace")[-4000:]

    def terminate(self) -> None:
        self.proc.send_signal(signal.SIGTERM)

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def __enter__(self) -> WorkerProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
