"""The first and last records of a call's spool: who called and how, then how it went and ended."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from agent.behaviors.state import StateTimes
from agent.behaviors.usage import CallStats
from tools.call_record_rows import spoken_at, summarize

PARENT_SHUTDOWN = "parent process shutdown"
"""The job's shutdown reason when its worker stops (a drain that timed out, or a signal)."""
LOST = "the worker stopped mid-call"


def header_record(
    *, call_id: str, mode: str, caller: str, sip_call_id: str | None = None, room: str | None = None
) -> dict[str, Any]:
    """`caller`: "phone" (SIP), "web" (browser or app in a room) or "console"."""
    return {
        "type": "call",
        "call_id": call_id,
        "started_at": time.time(),
        "mode": mode,
        "caller": caller,
        "sip_call_id": sip_call_id,
        "room": room,
    }


def call_outcome(
    *, close_reason: str | None, close_error: str | None, shutdown_reason: str, transferred: bool
) -> tuple[str, str]:
    """(outcome, reason): hang-up, transfer, drain or error, and what the framework said."""
    if transferred:
        return "transfer", "transferred to a person"
    if close_reason == "error" or shutdown_reason == "job crashed":
        return "error", close_error or shutdown_reason or "session error"
    if close_reason == "participant_disconnected":
        return "hang-up", "the caller hung up"
    if shutdown_reason == PARENT_SHUTDOWN:
        return "drain", "the worker stopped and ended the call"
    if close_reason == "user_initiated":
        return "hang-up", "the agent ended the call"
    return "hang-up", shutdown_reason or close_reason or "call ended"


def summary_record(
    records: Iterable[Mapping[str, Any]],
    *,
    stats: CallStats,
    times: StateTimes,
    shutdown_reason: str,
) -> dict[str, Any]:
    """The last record of a call that ended in this process."""
    conversation = summarize(records)
    outcome, reason = call_outcome(
        close_reason=stats.close_reason,
        close_error=stats.close_error,
        shutdown_reason=shutdown_reason,
        transferred=conversation["transferred"],
    )
    return {
        "type": "summary",
        "ended_at": time.time(),
        "outcome": outcome,
        "reason": reason,
        **conversation,
        "interrupted_turns": stats.interrupted_turns,
        "usage": stats.usage,
        "states": times.timeline,
    }


def lost_call_summary(records: Sequence[Mapping[str, Any]], *, ended_at: float) -> dict[str, Any]:
    """The last record of a call whose process died: what its spool shows, ended as an error."""
    said = [spoken_at(r) for r in records if r.get("type") in ("message", "tool_call")]
    return {
        "type": "summary",
        "ended_at": max([ended_at, *said]),
        "outcome": "error",
        "reason": LOST,
        **summarize(records),
        "usage": [],
        "states": [],
    }
