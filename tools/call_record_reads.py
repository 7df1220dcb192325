"""Rows read back from either backend (SQLite gives text and integers, PostgreSQL typed values)
turned into the plain call record models."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tools.call_records import AuditRow, CallListing, Entry, SecurityEvent, audit_time

LISTING_COLUMNS = 13


def when(value: Any) -> datetime:
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def maybe_when(value: Any) -> datetime | None:
    return None if value is None else when(value)


def as_json(value: Any) -> Any:
    if value is None or value == "":
        return None
    return json.loads(value) if isinstance(value, str | bytes) else value


def maybe_bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def listing(row: Sequence[Any]) -> CallListing:
    return CallListing(
        call_id=row[0],
        started_at=when(row[1]),
        ended_at=maybe_when(row[2]),
        mode=row[3],
        caller_kind=row[4],
        sip_call_id=row[5],
        outcome=row[6],
        end_reason=row[7],
        turns=row[8],
        slowest_turn_s=row[9],
        purged=row[10] is not None,
        orders=tuple(sorted((row[11] or "").split())),
        recoveries=int(row[12] or 0),
    )


def entry(row: Sequence[Any]) -> Entry:
    metrics = as_json(row[10]) or {}
    return Entry(
        seq=row[0],
        kind=row[1],
        spoken_at=when(row[2]),
        role=row[3],
        text=row[4],
        tool=row[5],
        arguments=row[6],
        output=row[7],
        is_error=maybe_bool(row[8]),
        interrupted=maybe_bool(row[9]),
        metrics={k: float(v) for k, v in metrics.items() if isinstance(v, int | float)},
    )


def event(row: Sequence[Any]) -> SecurityEvent:
    return SecurityEvent(seq=row[0], at=when(row[1]), kind=row[2], detail=row[3], tool=row[4] or "")


def audit(table: str, row: Mapping[str, Any]) -> AuditRow:
    fields = dict(row)
    return AuditRow(table=table, at=audit_time(fields), fields=fields)


def by_time(rows: list[AuditRow]) -> list[AuditRow]:
    return sorted(rows, key=lambda r: r.at or datetime.min.replace(tzinfo=UTC))
