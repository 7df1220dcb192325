"""Spooled call records (one JSON object per line) turned into database rows and a call summary.

Record types, each with `seq` (its place in the spool) and `type`:
`call` (header: call_id, started_at, mode, caller, sip_call_id, room), `message` (role, text,
interrupted, metrics, spoken_at), `tool_call` (name, arguments, output, is_error, spoken_at) and
`event` (kind, detail, spoken_at: something the agent did on its own, such as recovering a
caller's turn that went unanswered) and `summary` (ended_at, outcome, reason, turns, latencies,
usage, state timeline).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tools.call_records import utc
from tools.errors import NotVerified, VerificationLocked

_ORDER_ID = re.compile(r"\bACME[-\s]?(\d{4,7})\b", re.IGNORECASE)
_ENTRY_TYPES = ("message", "tool_call")


def spoken_at(record: Mapping[str, Any]) -> float:
    """When a record was said or done (epoch seconds): `spoken_at`, else its arrival `ts`."""
    value = record.get("spoken_at", record.get("ts"))
    return float(value) if isinstance(value, int | float) else 0.0


def order_ids_in(*texts: object) -> set[str]:
    """Order numbers in their written form (ACME-1042) found in texts."""
    found: set[str] = set()
    for text in texts:
        if isinstance(text, str):
            found.update(f"ACME-{m[1]}" for m in _ORDER_ID.finditer(text))
    return found


def security_event(record: Mapping[str, Any]) -> tuple[str, str] | None:
    """(kind, detail) when a tool call was decided by verification or the privacy rule.

    No personal data in either: the detail names the tool and, at most, the order number.
    """
    if record.get("type") != "tool_call":
        return None
    name = str(record.get("name"))
    failed = bool(record.get("is_error"))
    output = str(record.get("output") or "")
    orders = sorted(order_ids_in(record.get("arguments")))
    about = f" ({', '.join(orders)})" if orders else ""
    if name == "verify_caller":
        if not failed:
            return "verified", f"caller verified{about}"
        if output == VerificationLocked().message:
            return "locked", "verification locked after too many attempts"
        return "failed", f"verification failed{about}"
    if failed and output == NotVerified().message:
        return "refused", f"{name} refused: caller not verified{about}"
    if not failed and name == "get_order_details":
        return "disclosed", f"order details read to a verified caller{about}"
    if not failed and name == "find_orders":
        return "disclosed", "orders listed for a verified contact"
    return None


def summarize(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """What a call's conversation records add up to: turns, per-turn latency, order numbers.

    A turn's latency is the framework's `e2e_latency` on the answer: end of the caller's
    speech to the agent's first audio.
    """
    user_turns = agent_turns = 0
    turns: list[dict[str, Any]] = []
    orders: set[str] = set()
    transferred = False
    events: dict[str, int] = {}
    for r in records:
        if r.get("type") == "event":
            kind = str(r.get("kind"))
            events[kind] = events.get(kind, 0) + 1
        elif r.get("type") == "message":
            orders |= order_ids_in(r.get("text"))
            if r.get("role") == "user":
                user_turns += 1
            elif r.get("role") == "assistant":
                agent_turns += 1
                latency = (r.get("metrics") or {}).get("e2e_latency")
                if isinstance(latency, int | float):
                    turns.append({"n": len(turns) + 1, "at": spoken_at(r), "latency": latency})
        elif r.get("type") == "tool_call":
            orders |= order_ids_in(r.get("arguments"), r.get("output"))
            transferred |= r.get("name") == "transfer_to_human" and not r.get("is_error")
    return {
        "user_turns": user_turns,
        "agent_turns": agent_turns,
        "turns": turns,
        "slowest_turn_s": max((t["latency"] for t in turns), default=None),
        "orders": sorted(orders),
        "transferred": transferred,
        "events": events,
    }


@dataclass(kw_only=True)
class Batch:
    """Rows for one transaction. Times are UTC datetimes; backends convert as they store."""

    headers: list[tuple[Any, ...]] = field(default_factory=list)
    """(call_id, started_at, mode, caller_kind, sip_call_id, room)"""
    entries: list[tuple[Any, ...]] = field(default_factory=list)
    """(call_id, seq, kind, spoken_at, role, text, tool_name, arguments, output, is_error,
    interrupted, metrics_json)"""
    orders: set[tuple[str, str]] = field(default_factory=set)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    """(call_id, seq, at, kind, detail, tool_name)"""
    ends: list[tuple[Any, ...]] = field(default_factory=list)
    """(call_id, ended_at, outcome, end_reason, turns, slowest_turn_s, summary_json)"""


def batch_of(call_id: str, records: Iterable[Mapping[str, Any]]) -> Batch:
    batch = Batch()
    for r in records:
        kind, seq = r.get("type"), int(r.get("seq", -1))
        if kind == "call":
            batch.headers.append(
                (call_id, utc(float(r["started_at"])), str(r.get("mode", "")),
                 str(r.get("caller", "")), r.get("sip_call_id"), r.get("room"))
            )  # fmt: skip
        elif kind in _ENTRY_TYPES:
            batch.entries.append(_entry(call_id, seq, r))
            texts = (r.get("text"), r.get("arguments"), r.get("output"))
            batch.orders.update((call_id, order) for order in order_ids_in(*texts))
            if (event := security_event(r)) is not None:
                batch.events.append(
                    (call_id, seq, utc(spoken_at(r)), event[0], event[1], r.get("name"))
                )
        elif kind == "event":
            detail = str(r.get("detail") or "")
            batch.events.append((call_id, seq, utc(spoken_at(r)), str(r.get("kind")), detail, None))
        elif kind == "summary":
            batch.ends.append(_end(call_id, r))
    return batch


def _entry(call_id: str, seq: int, r: Mapping[str, Any]) -> tuple[Any, ...]:
    metrics = r.get("metrics") or {}
    is_error = r.get("is_error")
    return (
        call_id, seq, r["type"], utc(spoken_at(r)), r.get("role"), r.get("text"), r.get("name"),
        r.get("arguments"), r.get("output"), None if is_error is None else bool(is_error),
        None if r.get("interrupted") is None else bool(r.get("interrupted")),
        json.dumps(metrics) if metrics else None,
    )  # fmt: skip


def _end(call_id: str, r: Mapping[str, Any]) -> tuple[Any, ...]:
    ended: datetime = utc(float(r["ended_at"]))
    summary = {k: v for k, v in r.items() if k not in ("type", "seq")}
    slowest = r.get("slowest_turn_s")
    return (
        call_id, ended, str(r.get("outcome") or "error"), r.get("reason"),
        int(r.get("user_turns") or 0), float(slowest) if slowest is not None else None,
        json.dumps(summary, default=str),
    )  # fmt: skip
