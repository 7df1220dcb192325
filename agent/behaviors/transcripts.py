"""Record every user and agent message and every tool call of a call, durably and in order.

Support teams review calls from these records; they are also how a dropped call is reconstructed.
Each record carries when it was said (`spoken_at`), because records arrive out of that order: a
Realtime model can run a tool before the caller's words are transcribed.
"""

from __future__ import annotations

import logging
from typing import Any

from livekit.agents import AgentSession
from livekit.agents.llm import ChatMessage, FunctionCall, FunctionCallOutput
from livekit.agents.voice.events import ConversationItemAddedEvent, FunctionToolsExecutedEvent

from agent.transcript_sink import TranscriptSink

logger = logging.getLogger("acme.transcripts")

_METRIC_KEYS = (
    "end_of_turn_delay",
    "transcription_delay",
    "llm_node_ttft",
    "tts_node_ttfb",
    "e2e_latency",
    "started_speaking_at",
    "stopped_speaking_at",
)


def spoken_at(msg: ChatMessage) -> float:
    """When the message was said: the speaker started speaking (from the framework's metrics),
    else when the framework created it (for a Realtime caller, the start of their turn)."""
    started = msg.metrics.get("started_speaking_at")
    return float(started) if isinstance(started, int | float) else msg.created_at


def message_record(msg: ChatMessage) -> dict[str, Any]:
    """The transcript record of one conversation message."""
    metrics = {
        k: v if k.endswith("_at") else round(v, 4)
        for k, v in msg.metrics.items()
        if k in _METRIC_KEYS and isinstance(v, int | float)
    }
    record: dict[str, Any] = {
        "type": "message",
        "ts": msg.created_at,
        "spoken_at": spoken_at(msg),
        "role": msg.role,
        "text": msg.text_content or "",
        "interrupted": msg.interrupted,
        "item_id": msg.id,
    }
    if metrics:
        record["metrics"] = metrics
    return record


def tool_call_record(
    call: FunctionCall, output: FunctionCallOutput | None, *, ts: float
) -> dict[str, Any]:
    """The transcript record of one tool call and its output."""
    return {
        "type": "tool_call",
        "ts": ts,
        "spoken_at": call.created_at,  # when the tool started running
        "name": call.name,
        "arguments": call.arguments,
        "output": output.output if output is not None else None,
        "is_error": output.is_error if output is not None else None,
    }


def record_transcript(session: AgentSession[Any], sink: TranscriptSink) -> None:
    """Write user and assistant messages and tool calls to the call's transcript file."""

    @session.on("conversation_item_added")
    def _on_item(ev: ConversationItemAddedEvent) -> None:
        item = ev.item
        if not isinstance(item, ChatMessage) or item.role not in ("user", "assistant"):
            return
        record = message_record(item)
        sink.write(record)
        logger.info(
            "conversation turn",
            extra={
                "role": record["role"],
                "chars": len(record["text"]),
                "interrupted": record["interrupted"],
            },
        )

    @session.on("function_tools_executed")
    def _on_tools(ev: FunctionToolsExecutedEvent) -> None:
        for call, output in zip(ev.function_calls, ev.function_call_outputs, strict=False):
            sink.write(tool_call_record(call, output, ts=ev.created_at))
