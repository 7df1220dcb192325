"""One call per child process, driven turn by turn from a parent (benchmarks, load tests).

A process per call is how the worker runs jobs, keeps each call's event loop and memory its
own, and lets a parent interleave turns of several calls. The parent speaks JSON lines on the
child's stdin; the child answers on stdout with lines starting with `HARNESS `.

    async with RemoteCall(options=CallOptions(...)) as call:   # greeting played
        turn = await call.turn(speech)                          # a TurnResult
    call.summary                                                # peak RSS and more
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

PREFIX = "HARNESS "
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, kw_only=True)
class CallOptions:
    """Everything the child needs to run its call (JSON-serialisable)."""

    mode: str
    openai_url: str
    deepgram_url: str
    cartesia_url: str
    workdir: str
    call_id: str
    starter: str = "harness.acme:prepare_acme"
    environ: dict[str, str] = field(default_factory=dict)
    greeting: bool = True
    playout_speed: float = 1.0
    turn_timeout_s: float = 45.0


def rss_kb() -> dict[str, int]:
    """Peak resident memory so far (getrusage) and the current and peak from /proc (KB)."""
    out = {"ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


def _emit(out: TextIO, event: str, **data: Any) -> None:
    out.write(PREFIX + json.dumps({"event": event, **data}, default=str) + "\n")
    out.flush()


async def _child(options: CallOptions, out: TextIO) -> None:
    # imported here, after the parent-chosen starter, so "before" figures mean something
    memory = {"start": rss_kb()}
    from harness.call_setup import CallerTurn, CallSetup, SimulatorUrls, load_starter
    from harness.runner import CallRunner
    from harness.speech import CallerSpeech

    starter = load_starter(options.starter)
    memory["imported"] = rss_kb()
    setup = CallSetup(
        mode=options.mode,
        urls=SimulatorUrls(
            openai=options.openai_url,
            deepgram=options.deepgram_url,
            cartesia=options.cartesia_url,
        ),
        workdir=Path(options.workdir),
        call_id=options.call_id,
        environ=dict(options.environ),
    )
    runner = CallRunner(
        setup=setup,
        starter=starter,
        greeting=options.greeting,
        playout_speed=options.playout_speed,
        keep_audio=False,
        turn_timeout_s=options.turn_timeout_s,
    )
    async with runner:
        memory["ready"] = rss_kb()
        path = runner.transcript_path
        _emit(out, "ready", pid=os.getpid(), transcript_path=str(path) if path else None)
        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                break
            command = json.loads(line)
            if command["op"] == "close":
                break
            speech = CallerSpeech.from_wav(Path(command["wav"]), text=command.get("text", ""))
            turn = await runner.turn(CallerTurn(speech=speech))
            _emit(out, "turn", turn=turn.to_dict(), late_frames=runner.mic.late_frames)
    result = runner.result
    assert result is not None
    memory["end"] = rss_kb()
    _emit(
        out,
        "closed",
        memory=memory,
        modules=len(sys.modules),
        late_frames=result.late_frames,
        transcript_path=str(result.transcript_path) if result.transcript_path else None,
        errors=[e.data for e in result.events.events if e.kind == "error"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--options", required=True, help="CallOptions as JSON")
    args = parser.parse_args()
    options = CallOptions(**json.loads(args.options))
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing else may write on the protocol channel
    asyncio.run(_child(options, out))


class RemoteCallError(RuntimeError):
    """The child process failed; the message ends with its last log lines."""


class RemoteCall:
    """Parent side: starts the child, sends turns, collects results and the final summary."""

    def __init__(
        self, *, options: CallOptions, log_path: Path | None = None, root: Path = ROOT
    ) -> None:
        """`root`: the project tree the child runs from (another checkout to compare with)."""
        self.options = options
        self._root = root
        self.log_path = log_path or Path(options.workdir) / f"{options.call_id}.log"
        self._proc: asyncio.subprocess.Process | None = None
        self._log: TextIO | None = None
        self.summary: dict[str, Any] = {}
        self.transcript_path: Path | None = None
        """The call's spool file, known once the call is ready: whatever happens to the call
        later (a failed turn, a crash, a kill), its finished turns are in this file."""

    async def __aenter__(self) -> RemoteCall:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("w")  # closed in _stop
        self._proc = await asyncio.create_subprocess_exec(
            *self.command(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._log,
            cwd=self._root,
        )
        try:
            ready = await self._expect("ready")
        except BaseException:
            await self._stop()
            raise
        if ready.get("transcript_path"):
            self.transcript_path = Path(ready["transcript_path"])
        return self

    def command(self) -> list[str]:
        """The child's command line: this module, given the options as JSON."""
        return [
            sys.executable,
            "-m",
            "harness.remote",
            "--options",
            json.dumps(asdict(self.options)),
        ]

    @property
    def pid(self) -> int:
        """The call process."""
        assert self._proc is not None
        return self._proc.pid

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is None:
                await self._send({"op": "close"})
                self.summary = await self._expect("closed")
        finally:
            await self._stop()

    async def turn(self, wav: Path, *, text: str = "") -> dict[str, Any]:
        """Play a caller turn (a WAV path) and return the child's TurnResult as a dict."""
        await self._send({"op": "turn", "wav": str(wav), "text": text})
        message = await self._expect("turn")
        turn: dict[str, Any] = message["turn"]
        turn["late_frames"] = message["late_frames"]
        return turn

    async def _send(self, command: dict[str, Any]) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write((json.dumps(command) + "\n").encode())
        await self._proc.stdin.drain()

    async def _expect(self, event: str) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        while True:
            line = await self._proc.stdout.readline()
            if not line:
                raise RemoteCallError(f"call process ended before {event!r}: {self._tail()}")
            text = line.decode()
            if text.startswith(PREFIX):
                message: dict[str, Any] = json.loads(text[len(PREFIX) :])
                if message["event"] != event:
                    raise RemoteCallError(f"expected {event!r}, got {message['event']!r}")
                return message

    def _tail(self) -> str:
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-20:])
        except OSError:
            return "(no log)"

    async def _stop(self) -> None:
        proc = self._proc
        if proc is not None:
            if proc.stdin is not None and not proc.stdin.is_closing():
                proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


if __name__ == "__main__":
    main()
