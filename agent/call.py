"""One call's wiring (store, transcript, session, behaviors, agent), shared by every way to run it.

The worker entrypoint starts it in a LiveKit room; tests and benchmarks start the same wiring
with their own audio input and output, so they exercise the product rather than a copy of it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from livekit import rtc
from livekit.agents import AgentSession, io, room_io, vad
from livekit.agents.types import NOT_GIVEN

from agent.acme_agent import AcmeAgent, CallState
from agent.behaviors.question_turns import end_turns_on_questions
from agent.behaviors.reply_guard import guard_replies
from agent.behaviors.state import StateTimes, log_state_changes
from agent.behaviors.tool_filler import fill_slow_tools
from agent.behaviors.transcripts import record_transcript, tool_call_record
from agent.behaviors.usage import CallStats, report_usage
from agent.bootstrap import call_records, call_store, transcript_dir
from agent.order_prefetch import OrderPrefetch
from agent.prompts import load_prompt
from agent.records.recorder import CallRecorder
from agent.session_factory import build_session, pause_finalizer
from agent.settings import Settings
from agent.telephony.audio import caller_audio_input
from agent.transcript_sink import TranscriptSink
from tools.store import OrderStore

logger = logging.getLogger("acme.agent")

SESSION_CLOSE_WAIT_S = 15.0


@dataclass(kw_only=True)
class Call:
    """Everything one call owns.

    In a worker the framework closes the session on job shutdown and `release()` then frees the
    rest; elsewhere `aclose()` closes the session and frees the rest. Both are idempotent.
    """

    call_id: str
    session: AgentSession[CallState]
    agent: AcmeAgent
    store: OrderStore
    sink: TranscriptSink
    records: CallRecorder
    times: StateTimes
    stats: CallStats
    prefetch: OrderPrefetch
    """Looks up an order the caller names before the model asks (given to every agent)."""
    audio_input: room_io.AudioInputOptions = field(default_factory=room_io.AudioInputOptions)
    """How the room delivers the caller's audio (rate, frame size) to this call."""
    _started: bool = field(default=False, repr=False)
    _released: bool = field(default=False, repr=False)
    _session_closed: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def __post_init__(self) -> None:
        self.session.on("close", lambda _ev: self._session_closed.set())

    @property
    def transcript_path(self) -> Path:
        return self.sink.path

    async def start(
        self,
        *,
        room: rtc.Room | None = None,
        audio_input: io.AudioInput | None = None,
        audio_output: io.AudioOutput | None = None,
        room_options: room_io.RoomOptions | None = None,
    ) -> None:
        """Start the session: in `room` (with `room_options`), or on the given audio I/O."""
        if audio_input is not None:
            self.session.input.audio = audio_input
        if audio_output is not None:
            self.session.output.audio = audio_output
        self.records.begin()
        await self.session.start(
            agent=self.agent,
            room=room if room is not None else NOT_GIVEN,
            room_options=room_options if room_options is not None else NOT_GIVEN,
        )
        self._started = True

    async def release(self, reason: str = "") -> None:
        """Once the session has closed, write out and ship the call's records, close the store.

        Waiting lets the last messages (an interrupted answer, say) reach the transcript.
        `reason`: why the job is shutting down (the framework passes it to shutdown callbacks).
        """
        if self._started and not self._session_closed.is_set():
            try:
                await asyncio.wait_for(self._session_closed.wait(), SESSION_CLOSE_WAIT_S)
            except TimeoutError:
                logger.warning("session still open at release", extra={"call_id": self.call_id})
        if self._released:
            return
        self._released = True
        try:
            await self.records.finish(stats=self.stats, times=self.times, shutdown_reason=reason)
        finally:
            await self.store.close()

    async def aclose(self) -> None:
        """Close the session, then release the transcript and the store."""
        try:
            await self.session.aclose()
        finally:
            await self.release()


def build_call(
    settings: Settings,
    *,
    call_id: str,
    vad_model: vad.VAD | None,
    phone: bool = False,
    caller: str = "console",
    sip_call_id: str | None = None,
    room: str | None = None,
) -> Call:
    """Wire one call from settings. Connects to nothing: the stores open on first use.

    `phone`: a caller on a phone line (agent/telephony adds its tools before the start).
    `caller`, `sip_call_id`, `room`: how the call is recorded ("phone", "web" or "console").
    """
    store = call_store(settings)
    sink = TranscriptSink(
        directory=transcript_dir(settings), call_id=call_id, fsync=settings.transcripts.fsync
    )
    records = CallRecorder.create(
        call_id=call_id,
        sink=sink,
        store=call_records(settings),
        ship_timeout=settings.records.ship_timeout,
        mode=settings.agent.mode,
        caller="phone" if phone else caller,
        sip_call_id=sip_call_id,
        room=room,
    )
    finalizer = pause_finalizer(settings)
    session = build_session(
        settings,
        vad_model=vad_model,
        userdata=CallState.for_call(settings, store=store, call_id=call_id),
        phone=phone,
        finalizer=finalizer,
    )
    if settings.agent.mode == "pipeline":
        end_turns_on_questions(
            session,
            question_max_delay=settings.turn_handling.question_max_delay,
            max_delay=settings.turn_handling.max_endpointing_delay,
        )
    times, stats = StateTimes(), CallStats()
    record_transcript(session, sink)
    log_state_changes(session, times)
    report_usage(session, stats, times=times)
    guard_replies(session, wait_s=settings.agent.reply_guard_s, record=sink.write)
    fill_slow_tools(
        session, delay_s=settings.agent.tool_filler_s, spoken=settings.agent.mode != "realtime"
    )
    prefetch = OrderPrefetch(
        record=lambda fn_call, output: sink.write(
            tool_call_record(fn_call, output, ts=fn_call.created_at)
        )
    )
    agent = AcmeAgent(
        instructions=load_prompt(settings.agent.prompt),
        greeting=load_prompt(settings.agent.greeting),
        prefetch=prefetch,
        finalizer=finalizer,
    )
    return Call(
        call_id=call_id,
        session=session,
        agent=agent,
        store=store,
        sink=sink,
        records=records,
        times=times,
        stats=stats,
        prefetch=prefetch,
        audio_input=caller_audio_input(settings.agent.mode),
    )


async def start_call(
    settings: Settings,
    *,
    call_id: str,
    vad_model: vad.VAD | None,
    room: rtc.Room | None = None,
    audio_input: io.AudioInput | None = None,
    audio_output: io.AudioOutput | None = None,
) -> Call:
    """Build and start a call; if starting fails, what was opened is closed again."""
    call = build_call(settings, call_id=call_id, vad_model=vad_model)
    try:
        await call.start(room=room, audio_input=audio_input, audio_output=audio_output)
    except BaseException:
        await call.aclose()
        raise
    return call
