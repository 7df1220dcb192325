"""What a harness call observed: session events on one clock, and per-turn results from them."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from livekit.agents import AgentSession
from livekit.agents.llm import ChatMessage
from livekit.agents.voice.events import (
    AgentStateChangedEvent,
    CloseEvent,
    ConversationItemAddedEvent,
    ErrorEvent,
    FunctionToolsExecutedEvent,
    UserInputTranscribedEvent,
    UserStateChangedEvent,
)

from harness.audio_io import AgentSegment

METRIC_KEYS = (
    "end_of_turn_delay",
    "transcription_delay",
    "llm_node_ttft",
    "tts_node_ttfb",
    "e2e_latency",
)


@dataclass(frozen=True, kw_only=True)
class Event:
    """One session event: `t` on the harness clock, `kind` and plain data."""

    t: float
    kind: str
    data: dict[str, Any]


class EventLog:
    """Subscribes to a session (before it starts) and keeps every event it cares about."""

    def __init__(self, *, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self.events: list[Event] = []

    def add(self, kind: str, **data: Any) -> None:
        self.events.append(Event(t=self._clock(), kind=kind, data=data))

    def attach(self, session: AgentSession[Any]) -> None:
        @session.on("agent_state_changed")
        def _agent(ev: AgentStateChangedEvent) -> None:
            self.add("agent_state", old=ev.old_state, new=ev.new_state)

        @session.on("user_state_changed")
        def _user(ev: UserStateChangedEvent) -> None:
            self.add("user_state", old=ev.old_state, new=ev.new_state)

        @session.on("user_input_transcribed")
        def _heard(ev: UserInputTranscribedEvent) -> None:
            self.add("user_transcript", text=ev.transcript, final=ev.is_final)

        @session.on("conversation_item_added")
        def _item(ev: ConversationItemAddedEvent) -> None:
            item = ev.item
            if isinstance(item, ChatMessage):
                metrics = {
                    k: float(v)
                    for k, v in item.metrics.items()
                    if k in METRIC_KEYS and isinstance(v, int | float)
                }
                self.add(
                    "message",
                    role=item.role,
                    text=item.text_content or "",
                    interrupted=item.interrupted,
                    metrics=metrics,
                )

        @session.on("function_tools_executed")
        def _tools(ev: FunctionToolsExecutedEvent) -> None:
            for call, out in zip(ev.function_calls, ev.function_call_outputs, strict=False):
                self.add(
                    "tool_call",
                    name=call.name,
                    arguments=call.arguments,
                    output=out.output if out is not None else None,
                    is_error=out.is_error if out is not None else None,
                )

        @session.on("error")
        def _error(ev: ErrorEvent) -> None:
            self.add("error", error=repr(ev.error), source=type(ev.source).__name__)

        @session.on("close")
        def _close(ev: CloseEvent) -> None:
            self.add("close", reason=str(ev.reason), error=repr(ev.error) if ev.error else None)

    def between(self, start: float, end: float | None = None) -> list[Event]:
        return [e for e in self.events if e.t >= start and (end is None or e.t < end)]

    def messages(self, start: float, role: str, end: float | None = None) -> list[Event]:
        return [
            e
            for e in self.between(start, end)
            if e.kind == "message" and e.data.get("role") == role
        ]


@dataclass(kw_only=True)
class TurnResult:
    """One caller turn and the agent's reaction, on the harness clock (seconds)."""

    index: int
    text: str
    started_at: float
    """When the turn went to the microphone; it and everything after it belongs to this turn."""
    speech_end_at: float
    """When the caller's speech ended (the WAV's last speech sample left the microphone)."""
    first_audio_at: float | None = None
    reply_audio_s: float = 0.0
    reply_played_s: float = 0.0
    interrupted: bool = False
    user_texts: list[str] = field(default_factory=list)
    assistant: list[dict[str, Any]] = field(default_factory=list)
    """Assistant messages: text, interrupted, metrics."""
    user_metrics: dict[str, float] = field(default_factory=dict)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    agent_states: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def latency_s(self) -> float | None:
        """End of the caller's speech to the agent's first audio frame, at the I/O boundary."""
        if self.first_audio_at is None:
            return None
        return self.first_audio_at - self.speech_end_at

    @property
    def e2e_latency(self) -> float | None:
        """The framework's own figure for the first answer of this turn."""
        for message in self.assistant:
            value = message["metrics"].get("e2e_latency")
            if value is not None:
                return float(value)
        return None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "latency_s": self.latency_s, "e2e_latency": self.e2e_latency}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TurnResult:
        fields = {k: v for k, v in data.items() if k not in ("latency_s", "e2e_latency")}
        return cls(**fields)


def turn_result(
    *,
    index: int,
    text: str,
    started_at: float,
    speech_end_at: float,
    next_started_at: float | None,
    next_speech_end_at: float | None,
    log: EventLog,
    segments: list[AgentSegment],
) -> TurnResult:
    """What happened in reaction to one turn.

    Audio, states and the user's message count from the turn's start to the next turn's start;
    answers and tool calls from the end of its speech to the end of the next turn's speech, so
    an answer cut short by the next turn (recorded while that turn is spoken) stays with the
    turn it answered.
    """
    window = log.between(started_at, next_started_at)
    replies = log.between(speech_end_at, next_speech_end_at)
    until = next_started_at if next_started_at is not None else float("inf")
    mine = [s for s in segments if started_at <= s.started_at < until]
    users = [e for e in window if e.kind == "message" and e.data["role"] == "user"]
    user_metrics: dict[str, float] = {}
    for e in users:
        user_metrics.update(e.data["metrics"])
    return TurnResult(
        index=index,
        text=text,
        started_at=started_at,
        speech_end_at=speech_end_at,
        first_audio_at=mine[0].started_at if mine else None,
        reply_audio_s=sum(s.pushed_s for s in mine),
        reply_played_s=sum(s.played_s for s in mine),
        interrupted=any(s.interrupted for s in mine),
        user_texts=[e.data["text"] for e in users],
        assistant=[
            {k: e.data[k] for k in ("text", "interrupted", "metrics")}
            for e in replies
            if e.kind == "message" and e.data["role"] == "assistant"
        ],
        user_metrics=user_metrics,
        tool_calls=[dict(e.data) for e in replies if e.kind == "tool_call"],
        agent_states=[e.data["new"] for e in window if e.kind == "agent_state"],
        errors=[dict(e.data) for e in window if e.kind == "error"],
    )
