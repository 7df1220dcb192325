"""Per-turn latency and token/audio usage, and a one-line call summary when the session ends.

Latency is what callers feel; usage is what the call costs. Both are read from the framework
(ChatMessage.metrics, session_usage_updated), not measured again here.
"""

from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass, field
from typing import Any

from livekit.agents import AgentSession
from livekit.agents.llm import ChatMessage
from livekit.agents.voice.events import (
    CloseEvent,
    ConversationItemAddedEvent,
    SessionUsageUpdatedEvent,
)

from agent.behaviors.state import StateTimes

logger = logging.getLogger("acme.usage")

_USER_KEYS = ("end_of_turn_delay", "transcription_delay")
_AGENT_KEYS = ("llm_node_ttft", "tts_node_ttfb", "e2e_latency")


@dataclass
class CallStats:
    """What the usage behavior has seen of one call."""

    user_turns: int = 0
    agent_turns: int = 0
    interrupted_turns: int = 0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    usage: list[dict[str, Any]] = field(default_factory=list)
    close_reason: str | None = None
    """Why the session closed (the framework's CloseReason value), once it has."""
    close_error: str | None = None

    def add(self, key: str, value: float) -> None:
        self.latencies.setdefault(key, []).append(float(value))

    def summary(self, times: StateTimes | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "user_turns": self.user_turns,
            "agent_turns": self.agent_turns,
            "interrupted_turns": self.interrupted_turns,
            "usage": self.usage,
        }
        for key, values in self.latencies.items():
            out[f"{key}_p50"] = round(statistics.median(values), 4)
            out[f"{key}_max"] = round(max(values), 4)
        if times is not None:
            out["agent_state_seconds"] = {k: round(v, 3) for k, v in times.seconds["agent"].items()}
        return out


def report_usage(
    session: AgentSession[Any], stats: CallStats, *, times: StateTimes | None = None
) -> None:
    """Log per-turn latency, keep usage totals, and log a call summary on close."""

    @session.on("conversation_item_added")
    def _on_item(ev: ConversationItemAddedEvent) -> None:
        msg = ev.item
        if not isinstance(msg, ChatMessage):
            return
        keys = _USER_KEYS if msg.role == "user" else _AGENT_KEYS if msg.role == "assistant" else ()
        if not keys:
            return
        if msg.role == "user":
            stats.user_turns += 1
        else:
            stats.agent_turns += 1
            stats.interrupted_turns += int(msg.interrupted)
        found = {
            k: float(v) for k, v in msg.metrics.items() if k in keys and isinstance(v, int | float)
        }
        for key, value in found.items():
            stats.add(key, value)
        if found:
            logger.info(
                "turn latency",
                extra={"role": msg.role, **{k: round(v, 4) for k, v in found.items()}},
            )

    @session.on("session_usage_updated")
    def _on_usage(ev: SessionUsageUpdatedEvent) -> None:
        stats.usage = [u.model_dump(exclude_defaults=True) for u in ev.usage.model_usage]

    @session.on("close")
    def _on_close(ev: CloseEvent) -> None:
        stats.close_reason = ev.reason.value
        stats.close_error = type(ev.error).__name__ if ev.error is not None else None
        logger.info("call summary", extra={"reason": str(ev.reason), **stats.summary(times)})
