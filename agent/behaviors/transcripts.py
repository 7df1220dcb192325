"""Record every user and agent message and every tool call of a call, durably and in order.

Support teams audit calls from these files; they are also how a dropped call is reconstructed.
"""

from __future__ import annotations

import logging
from typing import Any

from livekit.agents import AgentSession
from livekit.agents.llm import ChatMessage
from livekit.agents.voice.events import ConversationItemAddedEvent, FunctionToolsExecutedEvent

from agent.transcript_sink import TranscriptSink

logger = logging.getLogger("acme.transcripts")

_METRIC_KEYS = (
    "end_of_turn_delay",
    "transcription_delay",
    "llm_node_ttft",
    "tts_node_ttfb",
    "e2e_latency",
)


def message_record(msg: ChatMessage) -> dict[str, Any]:
    """The transcript record of one conversation message."""
    metrics = {
        k: round(v, 4)
        for k, v in msg.metrics.items()
        if k in _METRIC_KEYS and isinstance(v, int | float)
    }
    record: dict[str, Any] = {
        "type": "message",
        "ts": msg.created_at,
        "role": msg.role,
        "text": msg.text_content or "",
        "interrupted": msg.interrupted,
        "item_id": msg.id,
    }
    if metrics:
        record["metrics"] = metrics
    return record


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
            sink.write(
                {
                    "type": "tool_call",
                    "ts": ev.created_at,
                    "name": call.name,
                    "arguments": call.arguments,
                    "output": output.output if output is not None else None,
                    "is_error": output.is_error if output is not None else None,
                }
            )
