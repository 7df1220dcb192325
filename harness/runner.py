"""Run one whole call in this process: caller turns in, agent audio, transcript and timings out."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from livekit.agents import AgentSession, room_io, utils
from livekit.agents.voice.transcription import TranscriptSynchronizer

from harness.audio_io import AgentSegment, CallerAudioInput, CaptionOutput, PlayoutAudioOutput
from harness.call_setup import (
    DEFAULT_STARTER,
    CallerTurn,
    CallSetup,
    PreparedCall,
    SimulatorUrls,
    Starter,
    load_starter,
)
from harness.record import EventLog, TurnResult, turn_result
from harness.speech import DEFAULT_SAMPLE_RATE

_POLL_S = 0.02


class TurnTimeout(TimeoutError):
    """The agent did not finish reacting to a turn in time; the message says where it stood."""


@dataclass(kw_only=True)
class CallResult:
    """Everything one call produced; times are on the harness clock (`time.perf_counter`)."""

    call_id: str
    mode: str
    started_at: float
    greeting: TurnResult | None
    turns: list[TurnResult]
    segments: list[AgentSegment]
    events: EventLog
    transcript_path: Path | None
    transcript: list[dict[str, Any]]
    captions: list[tuple[float, str]]
    """(time, text) of each caption segment shown to the caller."""
    late_frames: int

    @property
    def agent_states(self) -> list[str]:
        return [e.data["new"] for e in self.events.events if e.kind == "agent_state"]

    @property
    def agent_pcm(self) -> bytes:
        return b"".join(s.pcm for s in self.segments)


class CallRunner:
    """A live call: `async with CallRunner(...) as call: await call.turn(...)`; then `.result`."""

    def __init__(
        self,
        *,
        setup: CallSetup,
        starter: Starter | None = None,
        sample_rate: int = DEFAULT_SAMPLE_RATE,
        greeting: bool = True,
        playout_speed: float = 1.0,
        keep_audio: bool = True,
        turn_timeout_s: float = 45.0,
    ) -> None:
        self.setup = setup
        self._starter = starter or load_starter(DEFAULT_STARTER)
        self._greeting = greeting
        self._keep_audio = keep_audio
        self._timeout_s = turn_timeout_s
        self.log = EventLog()
        self.mic = CallerAudioInput(sample_rate=sample_rate)
        self.speaker = PlayoutAudioOutput(speed=playout_speed)
        self.captions = CaptionOutput()
        # as a room's output does: captions follow playout, so a cut answer keeps what was heard
        self._sync = TranscriptSynchronizer(
            next_in_chain_audio=self.speaker, next_in_chain_text=self.captions
        )
        self._stack = contextlib.AsyncExitStack()
        self._call: PreparedCall | None = None
        self._started_at = 0.0
        self._turns: list[tuple[CallerTurn, float, float]] = []  # turn, started, speech end
        self.result: CallResult | None = None

    @property
    def session(self) -> AgentSession[Any]:
        if self._call is None:
            raise RuntimeError("call not started")
        return self._call.session

    @property
    def transcript_path(self) -> Path | None:
        """The call's spool file, known from the moment the call is wired (before it starts)."""
        return self._call.transcript_path if self._call is not None else None

    async def __aenter__(self) -> CallRunner:
        await self._stack.__aenter__()
        try:
            await self._stack.enter_async_context(utils.http_context.open())
            self._call = await self._starter(self.setup)
            # as a room delivers the caller's audio: at the rate and frame size the agent chose
            # (the room's defaults for an agent that chose none)
            audio_input = getattr(self._call, "audio_input", None) or room_io.AudioInputOptions()
            self.mic.configure(
                sample_rate=audio_input.sample_rate, frame_ms=audio_input.frame_size_ms
            )
            self._stack.push_async_callback(self._close_call)
            self.log.attach(self._call.session)
            self._call.session.output.transcription = self._sync.text_output
            self._started_at = time.perf_counter()
            await self._call.start(audio_input=self.mic, audio_output=self._sync.audio_output)
            if self._greeting:
                await self._wait_reply(self._started_at, "greeting")
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stack.aclose()
        self.result = self._build_result()

    async def _close_call(self) -> None:
        self.mic.close()
        try:
            if self._call is not None:
                await self._call.aclose()
        finally:
            await self._sync.aclose()
            await self.speaker.aclose()

    async def turn(
        self, turn: CallerTurn, *, next_barges_in_after_s: float | None = None
    ) -> TurnResult:
        """Say `turn`, then wait until the agent has answered and is listening again.

        With `next_barges_in_after_s`, return that long after the answer's first audio instead,
        so the next turn talks over it.
        """
        if turn.barge_in_after_s is None:
            await self._wait_idle("before turn")
        started = time.perf_counter()
        played = await self.mic.play(turn.speech)
        speech_end = played.speech_end_at
        self._turns.append((turn, started, speech_end))
        if next_barges_in_after_s is None:
            await self._wait_reply(speech_end, f"turn {len(self._turns) - 1}")
        else:
            await self._wait_first_audio(started)
            await asyncio.sleep(next_barges_in_after_s)
        return self._turn_result(len(self._turns) - 1)

    def _turn_result(self, index: int) -> TurnResult:
        turn, started, speech_end = self._turns[index]
        following = self._turns[index + 1] if index + 1 < len(self._turns) else None
        return turn_result(
            index=index,
            text=turn.speech.text,
            started_at=started,
            speech_end_at=speech_end,
            next_started_at=following[1] if following else None,
            next_speech_end_at=following[2] if following else None,
            log=self.log,
            segments=self.speaker.segments,
        )

    def _idle(self) -> bool:
        session = self.session
        return (
            session.agent_state == "listening"
            and session.current_speech is None
            and not self.speaker.playing
            and not self.mic.busy
        )

    async def _poll(self, done: Callable[[], bool], what: str) -> None:
        deadline = time.perf_counter() + self._timeout_s
        while not done():
            if time.perf_counter() > deadline:
                raise TurnTimeout(
                    f"{what}: agent {self.session.agent_state}, user {self.session.user_state}, "
                    f"speaking={self.speaker.playing}, events={self.log.events[-6:]}"
                )
            await asyncio.sleep(_POLL_S)

    async def _wait_idle(self, what: str) -> None:
        await self._poll(self._idle, what)

    async def _wait_reply(self, since: float, what: str) -> None:
        """Until an answer was added and spoken (a segment started since then has played out)
        and the agent is listening again."""

        def answered() -> bool:
            spoken = any(
                s.started_at >= since and s.finished_at is not None for s in self.speaker.segments
            )
            return spoken and bool(self.log.messages(since, "assistant")) and self._idle()

        await self._poll(answered, what)

    async def _wait_first_audio(self, since: float) -> None:
        await self._poll(
            lambda: any(s.started_at >= since for s in self.speaker.segments), "first audio"
        )

    def _build_result(self) -> CallResult:
        turns = [self._turn_result(i) for i in range(len(self._turns))]
        greeting = None
        if self._greeting:
            first = self._turns[0] if self._turns else None
            greeting = turn_result(
                index=-1,
                text="",
                started_at=self._started_at,
                speech_end_at=self._started_at,
                next_started_at=first[1] if first else None,
                next_speech_end_at=first[2] if first else None,
                log=self.log,
                segments=self.speaker.segments,
            )
        if not self._keep_audio:
            for segment in self.speaker.segments:
                segment.frames.clear()
        path = self._call.transcript_path if self._call is not None else None
        return CallResult(
            call_id=self.setup.call_id,
            mode=self.setup.mode,
            started_at=self._started_at,
            greeting=greeting,
            turns=turns,
            segments=self.speaker.segments,
            events=self.log,
            transcript_path=path,
            transcript=read_transcript(path),
            captions=self.captions.segments,
            late_frames=self.mic.late_frames,
        )


def read_transcript(path: Path | None) -> list[dict[str, Any]]:
    """The conversation records of a call's spool (messages and tool calls), in arrival order;
    the spool's header and summary records are left out."""
    if path is None or not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    return [r for r in records if r.get("type") in ("message", "tool_call")]


async def run_call(
    *,
    mode: str,
    turns: Sequence[CallerTurn],
    urls: SimulatorUrls,
    workdir: Path,
    starter: Starter | None = None,
    call_id: str | None = None,
    environ: dict[str, str] | None = None,
    greeting: bool = True,
    playout_speed: float = 1.0,
    keep_audio: bool = True,
    turn_timeout_s: float = 45.0,
) -> CallResult:
    """Run a full call: greeting, then each turn (barge-ins talk over the previous reply).

    `starter` wires the agent (default: ours, `harness.acme.prepare_acme`). The simulators'
    scripts (what the STT hears, what the model answers) are set up by the caller.
    """
    rates = {t.speech.sample_rate for t in turns}
    if len(rates) > 1:
        raise ValueError("all turns must share one sample rate")
    setup = CallSetup(
        mode=mode,
        urls=urls,
        workdir=workdir,
        call_id=call_id or f"harness-{uuid.uuid4().hex[:8]}",
        environ=dict(environ or {}),
    )
    runner = CallRunner(
        setup=setup,
        starter=starter,
        sample_rate=rates.pop() if rates else DEFAULT_SAMPLE_RATE,
        greeting=greeting,
        playout_speed=playout_speed,
        keep_audio=keep_audio,
        turn_timeout_s=turn_timeout_s,
    )
    async with runner:
        for i, turn in enumerate(turns):
            following = turns[i + 1] if i + 1 < len(turns) else None
            barge = following.barge_in_after_s if following is not None else None
            await runner.turn(turn, next_barges_in_after_s=barge)
    assert runner.result is not None
    return runner.result
