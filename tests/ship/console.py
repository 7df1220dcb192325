"""A `python agent/main.py console --text` process on a pseudo-terminal, typed into by tests."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

RUN_WORKER = Path(__file__).resolve().parent / "run_worker.py"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PROMPT = "Type to talk to your agent"  # the empty input prompt, redrawn while it waits


class ConsoleProcess:
    """The worker in console text mode; its terminal output is read on a thread it owns."""

    def __init__(self, *, env: dict[str, str], transcripts: Path, json_log: Path) -> None:
        self.transcripts = transcripts
        self.json_log = json_log
        master, slave = pty.openpty()
        self._master = master
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(RUN_WORKER),
                "--json-log",
                str(json_log),
                "--",
                "console",
                "--text",
            ],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd="/",
            start_new_session=True,
        )
        os.close(slave)
        self._output = bytearray()
        self._typed_at = 0
        self._last_typed = ""
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, name="console-pty", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            ready, _, _ = select.select([self._master], [], [], 0.2)
            if not ready:
                if self.proc.poll() is not None:
                    return
                continue
            try:
                chunk = os.read(self._master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self._output.extend(chunk)

    @property
    def screen(self) -> str:
        """Everything the console printed so far, without colours and cursor moves."""
        with self._lock:
            text = self._output.decode("utf-8", errors="replace")
        return _ANSI.sub("", text)

    def type_line(self, text: str) -> None:
        """Type a line once the prompt waits for one.

        The console discards keys typed while it is busy (it flushes the terminal's input when
        it starts reading), so wait until, after the echo of the previous line, the empty
        prompt has been drawn again: it is redrawn many times a second while waiting for a key.
        """
        self.wait_until("the input prompt", self._prompt_ready)
        self._typed_at = len(self.screen)
        self._last_typed = text
        os.write(self._master, text.encode() + b"\n")

    def _prompt_ready(self) -> bool:
        screen = self.screen[self._typed_at :]
        if self._last_typed:
            echo = screen.find("    " + self._last_typed[:40])
            if echo < 0:
                return False
            screen = screen[echo:]
        return screen.count(PROMPT) >= 3

    def records(self) -> list[dict[str, Any]]:
        """The call's conversation records (one JSONL spool per call; its header and summary
        records are left out)."""
        files = sorted(self.transcripts.glob("*.jsonl"))
        assert len(files) <= 1, files
        if not files:
            return []
        records = [json.loads(line) for line in files[0].read_text().splitlines() if line]
        return [r for r in records if r["type"] in ("message", "tool_call")]

    def transcript_path(self) -> Path:
        (path,) = self.transcripts.glob("*.jsonl")
        return path

    def log_lines(self) -> list[dict[str, Any]]:
        if not self.json_log.exists():
            return []
        return [json.loads(line) for line in self.json_log.read_text().splitlines() if line]

    def wait_until(self, what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
        """Poll `check` until true; fail naming `what`, with the console's tail, otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"console exited ({self.proc.returncode}) before {what}")
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; console tail:\n{self.screen[-3000:]}")

    def terminate(self) -> None:
        self.proc.send_signal(signal.SIGTERM)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._reader.join(10)
        os.close(self._master)

    def __enter__(self) -> ConsoleProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
