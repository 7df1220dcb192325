"""Call records for the support team: what a stored call looks like, and the store's contract."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

OUTCOMES: tuple[str, ...] = ("hang-up", "transfer", "drain", "error")
"""How a call ended: the caller or agent hung up, a transfer to a person, the worker stopping
(redeploy), or an error (including a worker that died mid-call)."""
IN_PROGRESS = "in progress"
"""The outcome filter for calls with no end recorded yet."""
AUDIT_TABLES: tuple[str, ...] = ("verification_events", "disclosures")
"""Security audit tables keyed by call_id, shown with the call when the database has them."""


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


@dataclass(frozen=True, kw_only=True)
class CallListing:
    """One call as the call list shows it."""

    call_id: str
    started_at: datetime
    ended_at: datetime | None
    mode: str
    caller_kind: str
    sip_call_id: str | None
    outcome: str | None
    end_reason: str | None
    turns: int | None
    slowest_turn_s: float | None
    orders: tuple[str, ...]
    purged: bool
    recoveries: int
    """Times the agent recovered a caller's turn that went unanswered (reply guard firings)."""

    @property
    def duration_s(self) -> float | None:
        if self.ended_at is None:
            return None
        return max(0.0, (self.ended_at - self.started_at).total_seconds())


@dataclass(frozen=True, kw_only=True)
class SecurityEvent:
    """A verification outcome or privacy refusal, read from the call's own tool calls."""

    seq: int
    at: datetime
    kind: str
    detail: str
    tool: str


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One thing said or done in the call: a message or a tool call with its result."""

    seq: int
    kind: str  # "message" | "tool_call"
    spoken_at: datetime
    role: str | None = None
    text: str | None = None
    tool: str | None = None
    arguments: str | None = None
    output: str | None = None
    is_error: bool | None = None
    interrupted: bool | None = None
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class AuditRow:
    """A row of a security audit table (columns as the table has them)."""

    table: str
    at: datetime | None
    fields: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class CallDetail:
    call: CallListing
    summary: dict[str, Any]
    entries: list[Entry]
    """In the order things were said (by when each was spoken), not the order they arrived."""
    events: list[SecurityEvent]
    audit: list[AuditRow]


@dataclass(frozen=True, kw_only=True)
class CallQuery:
    """Filters of the call list; None means any."""

    order_id: str | None = None
    day: date | None = None
    outcome: str | None = None
    limit: int = 100
    offset: int = 0

    def conditions(
        self, mark: Callable[[int], str], when: Callable[[datetime], Any]
    ) -> tuple[str, list[Any]]:
        """A WHERE clause over `calls c` and its values; `mark(n)` is the n-th placeholder."""
        parts: list[str] = []
        values: list[Any] = []

        def bind(value: Any) -> str:
            values.append(value)
            return mark(len(values))

        if self.order_id:
            parts.append(
                "EXISTS (SELECT 1 FROM call_orders o WHERE o.call_id = c.call_id "
                f"AND o.order_id = {bind(self.order_id)})"
            )
        if self.day is not None:
            start = datetime.combine(self.day, time(), UTC)
            end = start + timedelta(days=1)
            since, until = bind(when(start)), bind(when(end))
            parts.append(f"c.started_at >= {since} AND c.started_at < {until}")
        if self.outcome == IN_PROGRESS:
            parts.append("c.outcome IS NULL")
        elif self.outcome:
            parts.append(f"c.outcome = {bind(self.outcome)}")
        return (" AND ".join(parts) or "TRUE"), values


def audit_time(row: Mapping[str, Any]) -> datetime | None:
    """The time of an audit row: its first date-time column, or a column named like one."""
    for value in row.values():
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
    for name, value in row.items():
        if isinstance(value, str) and (name in ("at", "ts", "time") or name.endswith("_at")):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                continue
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


class CallRecordStore(Protocol):
    """Where call records are kept: the order store's database (SQLite or PostgreSQL)."""

    async def add(self, call_id: str, records: Sequence[Mapping[str, Any]]) -> None:
        """Store spooled records of one call in one transaction; records already stored
        (same call_id and seq) are skipped, so shipping twice stores once."""
        ...

    async def calls(self, query: CallQuery) -> list[CallListing]: ...

    async def call(self, call_id: str) -> CallDetail | None: ...

    async def purge(self, *, before: datetime, now: datetime, dry_run: bool = False) -> int:
        """Remove the conversation (messages, tool arguments and results) of calls started
        before `before`; keep their summary, order numbers and security events. Returns how
        many calls were (or, with `dry_run`, would be) purged."""
        ...

    async def close(self) -> None: ...


def open_call_records(url: str) -> CallRecordStore:
    """The call record store a database URL names; connects on first use, reconnects after
    an outage (each operation raises StoreUnavailable while the database is unreachable)."""
    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    # Backends are imported on use, so a SQLite worker never loads the PostgreSQL driver.
    if scheme in ("postgresql", "postgres"):
        from tools.call_records_postgres import PostgresCallRecords

        return PostgresCallRecords(dsn=url)
    if scheme in ("", "sqlite"):
        from tools.call_records_sqlite import SqliteCallRecords
        from tools.stores import sqlite_path

        return SqliteCallRecords(path=sqlite_path(url))
    raise ValueError(f"unsupported call record store URL scheme {scheme!r}")
