"""`python agent/main.py console --text`, as a developer runs it, answers an order question.

Console text mode reads keys through termios, so the process gets a pseudo-terminal.
"""

from __future__ import annotations

import asyncio
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.scenario import acme_script
from simulators import Latency, ProviderSimulator, SimulatorThread
from simulators.script import DEFAULT_ANSWER

from .conftest import ORDER_ID, stored_order

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
QUESTION = f"where is my order {ORDER_ID}?"
PROMPT = "Type to talk to your agent"  # the empty input prompt, redrawn while it waits
_ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\r")


@pytest.fixture
def sim_thread() -> Iterator[SimulatorThread]:
    with ProviderSimulator.run_in_thread(script=acme_script(), latency=Latency.instant()) as sim:
        yield sim


class Terminal:
    """The parent side of a pseudo-terminal, with everything the child printed."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.raw = b""

    @property
    def text(self) -> str:
        return _ANSI.sub(b"", self.raw).decode("utf-8", "replace")

    def read_until(self, needle: str, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while needle not in self.text:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if not self.pump(min(left, 0.2)):
                return needle in self.text
        return True

    def pump(self, wait_s: float) -> bool:
        """Read what is available; False once the child closed the terminal."""
        ready, _, _ = select.select([self.fd], [], [], wait_s)
        if ready:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return False
            if not data:
                return False
            self.raw += data
        return True


def _records(workdir: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in (workdir / "transcripts").glob("*.jsonl")
        for line in path.read_text().splitlines()
        if line.strip()
    ]


def _greeted(workdir: Path) -> bool:
    return any(r.get("text") == DEFAULT_ANSWER for r in _records(workdir))


def _wait_for(done: Callable[[], bool], term: Terminal, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline or not term.pump(0.2):
            return done()
    return True


def _environment(sim: SimulatorThread, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACME_", "LIVEKIT_"))}
    return {
        **env,
        "ACME_CONFIG": str(ROOT / "config" / "settings.toml"),
        "ACME_MODE": "pipeline",
        "OPENAI_API_KEY": "simulated",
        "DEEPGRAM_API_KEY": "simulated",
        "CARTESIA_API_KEY": "simulated",
        "ACME_OPENAI_BASE_URL": sim.openai_base_url,
        "ACME_DEEPGRAM_BASE_URL": sim.deepgram_base_url,
        "ACME_CARTESIA_BASE_URL": sim.cartesia_base_url,
        "ACME_STORE_URL": f"sqlite:///{workdir / 'acme.db'}",
        "ACME_TRANSCRIPT_DIR": str(workdir / "transcripts"),
        "COLUMNS": "200",
        "LINES": "50",
        "TERM": "xterm-256color",
    }


def test_console_text_mode_answers_an_order_question(
    sim_thread: SimulatorThread, tmp_path: Path
) -> None:
    parent, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "agent" / "main.py"), "console", "--text"],
        stdin=child,
        stdout=child,
        stderr=child,
        env=_environment(sim_thread, tmp_path),
        cwd=tmp_path,
        start_new_session=True,
    )
    os.close(child)
    term = Terminal(parent)
    try:
        # the console drops keys typed while it is busy (it flushes its input when it starts
        # reading): wait for the greeting in the transcript, then for the idle prompt's redraws
        assert term.read_until(PROMPT, 90), term.text[-2000:]
        assert _wait_for(lambda: _greeted(tmp_path), term, 60), term.text[-2000:]
        mark = len(term.text)
        assert _wait_for(lambda: term.text[mark:].count(PROMPT) >= 3, term, 30), term.text[-2000:]
        os.write(parent, QUESTION.encode() + b"\r")
        assert term.read_until("tracking number is", 60), term.text[-2000:]
        term.read_until("It contains", 10)  # the rest of the answer line
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        while proc.poll() is None and time.monotonic() < deadline:
            term.pump(0.2)
        if proc.poll() is None:
            proc.kill()
        proc.wait(5)
        os.close(parent)

    order = asyncio.run(stored_order(tmp_path, ORDER_ID))
    assert order.tracking_number and order.tracking_number in term.text

    records = _records(tmp_path)
    users = [r for r in records if r["type"] == "message" and r["role"] == "user"]
    assert [u["text"] for u in users] == [QUESTION]
    [tool] = [r for r in records if r["type"] == "tool_call"]
    assert tool["name"] == "lookup_order" and tool["is_error"] is False
    assert json.loads(tool["arguments"]) == {"order_id": ORDER_ID}
    assert order.tracking_number in tool["output"]
    answer = records[records.index(tool) + 1]
    assert answer["type"] == "message" and answer["role"] == "assistant"
    assert answer["text"] == tool["output"]  # the simulated model reads the tool output back
