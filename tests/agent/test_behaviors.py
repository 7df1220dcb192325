"""Each behavior reacts to session events as it should: events are emitted on a real session."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from livekit.agents import AgentSession
from livekit.agents.llm import ChatMessage, FunctionCall, FunctionCallOutput
from livekit.agents.metrics.usage import AgentSessionUsage, LLMModelUsage
from livekit.agents.voice.events import (
    AgentStateChangedEvent,
    CloseEvent,
    CloseReason,
    ConversationItemAddedEvent,
    FunctionToolsExecutedEvent,
    SessionUsageUpdatedEvent,
    UserStateChangedEvent,
)

from agent.behaviors.state import StateTimes, log_state_changes
from agent.behaviors.transcripts import record_transcript
from agent.behaviors.usage import CallStats, report_usage
from agent.transcript_sink import TranscriptSink

pytestmark = pytest.mark.unit


def _message(role: str, text: str, **kw: Any) -> ChatMessage:
    return ChatMessage(role=role, content=[text], **kw)  # type: ignore[arg-type]


async def test_transcript_records_messages_and_tools(tmp_path: Path) -> None:
    session: AgentSession[None] = AgentSession()
    sink = TranscriptSink(directory=tmp_path, call_id="call-1")
    record_transcript(session, sink)

    user = _message("user", "where is my order", metrics={"end_of_turn_delay": 0.41})
    agent = _message("assistant", "It shipped yesterday.", interrupted=True)
    session.emit("conversation_item_added", ConversationItemAddedEvent(item=user))
    session.emit(
        "conversation_item_added", ConversationItemAddedEvent(item=_message("system", "x"))
    )
    call = FunctionCall(call_id="c1", name="lookup_order", arguments='{"order_id":"ACME-1042"}')
    out = FunctionCallOutput(call_id="c1", name="lookup_order", output="shipped", is_error=False)
    session.emit(
        "function_tools_executed",
        FunctionToolsExecutedEvent(function_calls=[call], function_call_outputs=[out]),
    )
    session.emit("conversation_item_added", ConversationItemAddedEvent(item=agent))
    await sink.aclose()

    records = [json.loads(x) for x in sink.path.read_text().splitlines()]
    assert [r["type"] for r in records] == ["message", "tool_call", "message"]
    assert records[0]["role"] == "user" and records[0]["text"] == "where is my order"
    assert records[0]["metrics"] == {"end_of_turn_delay": 0.41}
    assert records[0]["ts"] == pytest.approx(user.created_at)
    assert records[1]["name"] == "lookup_order" and records[1]["output"] == "shipped"
    assert records[2]["role"] == "assistant" and records[2]["interrupted"] is True


async def test_state_times_are_measured_per_state(caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    times = StateTimes(clock=lambda: now[0])
    session: AgentSession[None] = AgentSession()
    log_state_changes(session, times)
    caplog.set_level(logging.INFO, logger="acme.state")

    def agent_to(old: str, new: str, at: float) -> None:
        now[0] = at
        session.emit(
            "agent_state_changed",
            AgentStateChangedEvent(old_state=old, new_state=new),  # type: ignore[arg-type]
        )

    agent_to("initializing", "listening", 100.0)
    agent_to("listening", "thinking", 103.0)
    agent_to("thinking", "speaking", 103.5)
    agent_to("speaking", "listening", 106.0)
    now[0] = 104.0
    session.emit(
        "user_state_changed", UserStateChangedEvent(old_state="listening", new_state="speaking")
    )

    assert times.history["agent"] == [
        "initializing",
        "listening",
        "thinking",
        "speaking",
        "listening",
    ]
    assert times.seconds["agent"]["listening"] == pytest.approx(3.0)
    assert times.seconds["agent"]["thinking"] == pytest.approx(0.5)
    assert times.seconds["agent"]["speaking"] == pytest.approx(2.5)
    assert times.history["user"] == ["listening", "speaking"]
    changes = [r for r in caplog.records if r.getMessage() == "agent state changed"]
    assert len(changes) == 4 and changes[2].__dict__["seconds"] == 0.5


async def test_usage_latency_and_summary(caplog: pytest.LogCaptureFixture) -> None:
    session: AgentSession[None] = AgentSession()
    stats, times = CallStats(), StateTimes()
    report_usage(session, stats, times=times)
    caplog.set_level(logging.INFO, logger="acme.usage")

    for eot, e2e in ((0.4, 0.9), (0.6, 1.3)):
        user = _message("user", "hi", metrics={"end_of_turn_delay": eot})
        reply = _message(
            "assistant",
            "hello",
            metrics={"llm_node_ttft": 0.2, "tts_node_ttfb": 0.1, "e2e_latency": e2e},
        )
        session.emit("conversation_item_added", ConversationItemAddedEvent(item=user))
        session.emit("conversation_item_added", ConversationItemAddedEvent(item=reply))
    usage = AgentSessionUsage(
        model_usage=[LLMModelUsage(provider="openai", model="m", input_tokens=30, output_tokens=7)]
    )
    session.emit("session_usage_updated", SessionUsageUpdatedEvent(usage=usage))
    session.emit("close", CloseEvent(reason=CloseReason.USER_INITIATED))

    assert (stats.user_turns, stats.agent_turns) == (2, 2)
    assert stats.latencies["e2e_latency"] == [0.9, 1.3]
    assert stats.usage[0]["input_tokens"] == 30
    summary = next(r for r in caplog.records if r.getMessage() == "call summary")
    assert summary.__dict__["e2e_latency_p50"] == pytest.approx(1.1)
    assert summary.__dict__["end_of_turn_delay_max"] == pytest.approx(0.6)
    assert summary.__dict__["usage"][0]["output_tokens"] == 7
    turn_logs = [r for r in caplog.records if r.getMessage() == "turn latency"]
    assert len(turn_logs) == 4
