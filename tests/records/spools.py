"""Spooled call records as the agent writes them, for tests that need a call without a voice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tools.call_record_rows import summarize

T0 = 1_767_000_000.0  # a fixed wall-clock start (epoch seconds)


def header(
    call_id: str, *, at: float = T0, caller: str = "web", mode: str = "pipeline"
) -> dict[str, Any]:
    return {"type": "call", "seq": 0, "call_id": call_id, "started_at": at, "mode": mode,
            "caller": caller, "sip_call_id": None, "room": call_id}  # fmt: skip


def message(seq: int, role: str, text: str, at: float, **extra: Any) -> dict[str, Any]:
    return {"type": "message", "seq": seq, "ts": at, "spoken_at": at, "role": role, "text": text,
            "interrupted": False, **extra}  # fmt: skip


def tool(
    seq: int, name: str, arguments: str, output: str, at: float, *, error: bool = False
) -> dict[str, Any]:
    return {"type": "tool_call", "seq": seq, "ts": at, "spoken_at": at, "name": name,
            "arguments": arguments, "output": output, "is_error": error}  # fmt: skip


def event(seq: int, kind: str, detail: str, at: float) -> dict[str, Any]:
    """Something the agent did on its own during the call (not tied to a conversation entry)."""
    return {"type": "event", "seq": seq, "ts": at, "spoken_at": at, "kind": kind,
            "detail": detail}  # fmt: skip


def summary(
    records: Sequence[dict[str, Any]], *, ended_at: float, outcome: str = "hang-up"
) -> dict[str, Any]:
    """The summary the agent writes last, numbered after `records`."""
    return {"type": "summary", "seq": len(records), "ended_at": ended_at, "outcome": outcome,
            "reason": "the caller hung up", **summarize(records)}  # fmt: skip
