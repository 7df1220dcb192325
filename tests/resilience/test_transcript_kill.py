"""`kill -9` in the middle of a call loses no finished turn from the transcript file.

The worker runs as a user runs it (`agent/main.py console --text` on a pseudo-terminal) against
the provider simulators. After N finished turns the caller starts one more, the simulated model
holds its answer, and the whole process group gets SIGKILL. Every record written so far must be
in the file, whole: no buffering in the process, no torn last line.
"""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.scenario import acme_script
from simulators import Latency, ProviderSimulator, SimulatorThread

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = [
    "where is my order ACME-1042?",
    "and what about order ACME-1043?",
    "one more: where is ACME-1047?",
]
LAST = "finally, where is ACME-1045?"
STARTUP_S = 90.0
PROMPT = b"Type to talk to your agent"
TURN_S = 30.0


class Console:
    """The worker's text console on a pseudo-terminal, its output drained on a thread."""

    def __init__(self, env: dict[str, str]) -> None:
        self._master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "agent" / "main.py"), "console", "--text"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=ROOT,
            start_new_session=True,  # its own process group, killed as a whole
        )
        os.close(slave)
        self.output = bytearray()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self._master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output += chunk

    def type_when_prompted(self, text: str, *, since: int, timeout: float = TURN_S) -> None:
        """Type once the input prompt is back (typing earlier is flushed by the terminal)."""
        deadline = time.monotonic() + timeout
        while PROMPT not in self.output[since:]:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError("the console never prompted for input")
            time.sleep(0.05)
        time.sleep(0.3)  # the prompt switches the terminal to raw mode as it draws
        os.write(self._master, text.encode() + b"\r")

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._reader.join(5)
        os.close(self._master)


def records_in(directory: Path) -> list[dict[str, Any]]:
    """Every complete record of the call's transcript (a torn last line is not returned)."""
    files = list(directory.glob("*.jsonl"))
    if not files:
        return []
    [path] = files
    text = path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.split("\n")[:-1]]  # complete lines only


def count(records: list[dict[str, Any]], kind: str) -> int:
    if kind == "tool_call":
        return sum(r["type"] == "tool_call" for r in records)
    return sum(r["type"] == "message" and r["role"] == kind for r in records)


def wait_for(
    console: Console, directory: Path, done: Any, timeout: float, what: str
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = records_in(directory)
        if done(records):
            return records
        if console.proc.poll() is not None:
            break
        time.sleep(0.05)
    tail = console.output[-3000:].decode("utf-8", "replace")
    raise AssertionError(f"{what}: not reached; console said:\n{tail}")


@pytest.fixture
def simulator() -> Iterator[SimulatorThread]:
    with ProviderSimulator.run_in_thread(script=acme_script(), latency=Latency.instant()) as sim:
        yield sim


def test_sigkill_mid_call_loses_no_finished_turn(
    simulator: SimulatorThread, tmp_path: Path
) -> None:
    transcripts = tmp_path / "transcripts"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACME_", "LIVEKIT_"))}
    env |= {
        "ACME_CONFIG": str(ROOT / "config" / "settings.toml"),
        "ACME_MODE": "pipeline",
        "OPENAI_API_KEY": "simulated",
        "DEEPGRAM_API_KEY": "simulated",
        "CARTESIA_API_KEY": "simulated",
        "ACME_OPENAI_BASE_URL": simulator.openai_base_url,
        "ACME_LLM_BASE_URL": simulator.openai_base_url,
        "ACME_DEEPGRAM_BASE_URL": simulator.deepgram_base_url,
        "ACME_CARTESIA_BASE_URL": simulator.cartesia_base_url,
        "ACME_STORE_URL": f"sqlite:///{tmp_path / 'acme.db'}",
        "ACME_TRANSCRIPT_DIR": str(transcripts),
        "ACME_TRANSCRIPT_FSYNC": "false",  # flushed to the OS is enough to survive SIGKILL
        "COLUMNS": "200",
    }
    console = Console(env)
    try:
        wait_for(console, transcripts, lambda r: count(r, "assistant") >= 1, STARTUP_S, "greeting")
        mark = 0
        for n, question in enumerate(QUESTIONS, start=1):
            console.type_when_prompted(question, since=mark)
            wait_for(
                console,
                transcripts,
                lambda r, n=n: count(r, "assistant") >= n + 1 and count(r, "tool_call") >= n,
                TURN_S,
                f"turn {n}",
            )
            mark = len(console.output)
        # One more turn whose answer never comes: the model holds it while the process dies.
        simulator.simulator.latency.llm_ttft_s = 120.0
        console.type_when_prompted(LAST, since=mark)
        wait_for(
            console,
            transcripts,
            lambda r: count(r, "user") == len(QUESTIONS) + 1,
            TURN_S,
            "last question",
        )
        console.kill()
        assert console.proc.returncode == -signal.SIGKILL
    finally:
        if console.proc.poll() is None:
            console.kill()

    [path] = list(transcripts.glob("*.jsonl"))
    raw = path.read_text(encoding="utf-8")
    assert raw.endswith("\n"), "the last record is whole"
    records = [json.loads(line) for line in raw.splitlines()]  # every line parses

    users = [r["text"] for r in records if r.get("role") == "user"]
    assert users == [*QUESTIONS, LAST]
    tools = [r for r in records if r["type"] == "tool_call"]
    assert [json.loads(t["arguments"])["order_id"] for t in tools] == [
        "ACME-1042",
        "ACME-1043",
        "ACME-1047",
    ]
    assert all(t["name"] == "lookup_order" and t["is_error"] is False for t in tools)
    answers = [r["text"] for r in records if r.get("role") == "assistant"]
    assert len(answers) == 1 + len(QUESTIONS)  # the greeting, then one answer per turn
    for tool, answer in zip(tools, answers[1:], strict=True):
        assert answer == tool["output"]  # the answer spoken is the one recorded
    kinds = [r.get("role", r["type"]) for r in records]
    assert kinds == ["assistant"] + ["user", "tool_call", "assistant"] * 3 + ["user"]
