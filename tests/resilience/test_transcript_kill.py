"""`kill -9` in the middle of a call loses no finished turn, from the spool or the database.

The worker runs as a user runs it (`agent/main.py console --text` on a pseudo-terminal) against
the provider simulators. After N finished turns the caller starts one more, the simulated model
holds its answer, and the whole process group gets SIGKILL. Every record written so far must be
in the file, whole: no buffering in the process, no torn last line. The call record database is
unreachable for that first worker; a second worker, started with it reachable, ships the killed
call's spool (closed as an error), takes a call of its own, and on SIGTERM ships that call too
(ended by the drain) before it exits.
"""

from __future__ import annotations

import asyncio
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

from agent.records.sweeper import shipped_mark
from harness.scenario import acme_script
from simulators import Latency, ProviderSimulator, SimulatorThread
from tools.call_records import CallDetail, open_call_records

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
    """Every complete conversation record of the call's transcript (a torn last line is not
    returned)."""
    files = list(directory.glob("*.jsonl"))
    if not files:
        return []
    [path] = files
    text = path.read_text(encoding="utf-8")
    records = [json.loads(line) for line in text.split("\n")[:-1]]  # complete lines only
    return [r for r in records if r["type"] in ("message", "tool_call")]


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


def stored_call(url: str, call_id: str, *, until: Any, timeout: float, what: str) -> CallDetail:
    """Poll the call record database for a call until `until(detail)` holds."""

    async def poll() -> CallDetail:
        store = open_call_records(url)
        try:
            deadline = time.monotonic() + timeout
            while True:
                detail = await store.call(call_id)
                if detail is not None and until(detail):
                    return detail
                if time.monotonic() > deadline:
                    raise AssertionError(f"{what}: not in the call record database")
                await asyncio.sleep(0.2)
        finally:
            await store.close()

    return asyncio.run(poll())


def test_sigkill_mid_call_loses_no_finished_turn(
    simulator: SimulatorThread, tmp_path: Path
) -> None:
    transcripts = tmp_path / "transcripts"
    (tmp_path / "unreachable").write_text("a file where the record database's directory should be")
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
        "ACME_RECORDS_URL": f"sqlite:///{tmp_path / 'unreachable' / 'records.db'}",
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
    lines = [json.loads(line) for line in raw.splitlines()]  # every line parses
    assert lines[0]["type"] == "call"  # the header: who called, how, since when
    records = [r for r in lines if r["type"] in ("message", "tool_call")]

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

    # A worker started again with the database reachable ships the killed call's spool.
    [spool] = list(transcripts.glob("*.jsonl"))
    assert not shipped_mark(spool).exists()
    killed_call = json.loads(raw.splitlines()[0])["call_id"]
    url = f"sqlite:///{tmp_path / 'records.db'}"
    simulator.simulator.latency.llm_ttft_s = 0.0
    restarted = Console(env | {"ACME_RECORDS_URL": url})
    try:
        killed = stored_call(
            url,
            killed_call,
            until=lambda d: d.call.outcome and shipped_mark(spool).exists(),
            timeout=STARTUP_S,
            what="killed call, shipped and marked",
        )
        assert [(e.seq, e.text or e.output) for e in killed.entries] == [
            (r["seq"], r.get("text") or r["output"]) for r in records
        ]
        assert (killed.call.outcome, killed.call.end_reason) == (
            "error",
            "the worker stopped mid-call",
        )
        assert killed.call.turns == len(QUESTIONS) + 1 and killed.call.orders == (
            "ACME-1042", "ACME-1043", "ACME-1045", "ACME-1047",
        )  # fmt: skip

        # Its own call: answered, then SIGTERM; everything is stored before the worker exits.
        wait_for_new_spool(restarted, transcripts, known=spool)
        restarted.type_when_prompted(QUESTIONS[0], since=0)
        own = wait_for_new_spool(restarted, transcripts, known=spool, answers=2)
        restarted.proc.send_signal(signal.SIGTERM)
        assert restarted.proc.wait(60) == 0
    finally:
        if restarted.proc.poll() is None:
            restarted.kill()
    own_call = json.loads(own.read_text().splitlines()[0])["call_id"]
    drained = stored_call(url, own_call, until=lambda d: d.call.outcome, timeout=1, what="own call")
    assert drained.call.outcome == "drain" and drained.call.turns == 1
    assert [e.role or e.tool for e in drained.entries] == [
        "assistant",
        "user",
        "lookup_order",
        "assistant",
    ]
    assert shipped_mark(own).exists()


def wait_for_new_spool(console: Console, directory: Path, *, known: Path, answers: int = 1) -> Path:
    """The new call's spool, once it holds `answers` agent messages."""
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline and console.proc.poll() is None:
        for path in directory.glob("*.jsonl"):
            if path != known:
                lines = path.read_text(encoding="utf-8").split("\n")[:-1]
                said = [json.loads(line) for line in lines]
                if sum(r.get("role") == "assistant" for r in said) >= answers:
                    return path
        time.sleep(0.05)
    tail = console.output[-3000:].decode("utf-8", "replace")
    raise AssertionError(f"the restarted worker's call did not get {answers} answers:\n{tail}")
