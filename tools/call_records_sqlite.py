"""Call records in the SQLite order store's file: a short-lived connection per operation, on a
thread, so a file that moves or breaks is simply reopened by the next operation."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from tools import call_record_reads as read
from tools import call_records_sqlite_sql as sql
from tools.call_record_rows import Batch, batch_of
from tools.call_records import AUDIT_TABLES, CallDetail, CallListing, CallQuery
from tools.errors import StoreUnavailable
from tools.sqlite_queries import transaction

logger = logging.getLogger("acme.tools.records")
T = TypeVar("T")


def _text(value: datetime) -> str:
    """UTC times as fixed-width ISO text, so text order is time order."""
    return value.isoformat(timespec="microseconds")


class SqliteCallRecords:
    """CallRecordStore on a SQLite file; creates its tables on first use."""

    def __init__(self, *, path: str | Path, busy_timeout: float = 5.0) -> None:
        self._path = str(path)
        self._busy_timeout = busy_timeout
        self._ready = False

    async def add(self, call_id: str, records: Sequence[Mapping[str, Any]]) -> None:
        await self._run(_add, batch_of(call_id, records))

    async def calls(self, query: CallQuery) -> list[CallListing]:
        return await self._run(_calls, query)

    async def call(self, call_id: str) -> CallDetail | None:
        return await self._run(_call, call_id)

    async def purge(self, *, before: datetime, now: datetime, dry_run: bool = False) -> int:
        return await self._run(_purge, _text(before), _text(now), dry_run)

    async def close(self) -> None:
        """Nothing stays open between operations."""

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            return await asyncio.to_thread(self._call_with_connection, fn, *args)
        except (sqlite3.Error, OSError) as exc:
            logger.warning(
                "call record store failed", extra={"backend": "sqlite", "error": type(exc).__name__}
            )
            raise StoreUnavailable() from exc

    def _call_with_connection(self, fn: Callable[..., T], *args: Any) -> T:
        # Only the first setup may create the file; later a missing file is an outage.
        mode = "rw" if self._ready else "rwc"
        conn = sqlite3.connect(
            f"file:{quote(self._path)}?mode={mode}", uri=True, timeout=self._busy_timeout,
            isolation_level=None,
        )  # fmt: skip
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            if not self._ready:
                conn.executescript(sql.SCHEMA)
                self._ready = True
            return fn(conn, *args)
        finally:
            conn.close()


def _add(conn: sqlite3.Connection, batch: Batch) -> None:
    with transaction(conn):
        conn.executemany(sql.INSERT_CALL, [(h[0], _text(h[1]), *h[2:]) for h in batch.headers])
        calls = {e[0] for e in batch.entries}
        purged = {c for c in calls if conn.execute(sql.IS_PURGED, (c,)).fetchone() is not None}
        conn.executemany(
            sql.INSERT_ENTRY,
            [(*e[:3], _text(e[3]), *e[4:]) for e in batch.entries if e[0] not in purged],
        )
        conn.executemany(sql.INSERT_ORDER, sorted(batch.orders))
        conn.executemany(sql.INSERT_EVENT, [(*e[:2], _text(e[2]), *e[3:]) for e in batch.events])
        conn.executemany(sql.END_CALL, [(_text(e[1]), *e[2:], e[0]) for e in batch.ends])


def _calls(conn: sqlite3.Connection, query: CallQuery) -> list[CallListing]:
    where, values = query.conditions(lambda _n: "?", _text)
    rows = conn.execute(
        sql.LIST_CALLS.format(conditions=where), (*values, query.limit, query.offset)
    ).fetchall()
    return [read.listing(row) for row in rows]


def _call(conn: sqlite3.Connection, call_id: str) -> CallDetail | None:
    row = conn.execute(sql.GET_CALL, (call_id,)).fetchone()
    if row is None:
        return None
    audit = []
    for table in AUDIT_TABLES:
        if conn.execute(sql.TABLE_EXISTS, (table,)).fetchone() is None:
            continue
        cursor = conn.execute(sql.AUDIT_ROWS.format(table=table), (call_id,))
        names = [d[0] for d in cursor.description]
        audit += [read.audit(table, dict(zip(names, r, strict=True))) for r in cursor]
    return CallDetail(
        call=read.listing(row[: read.LISTING_COLUMNS]),
        summary=read.as_json(row[read.LISTING_COLUMNS]) or {},
        entries=[read.entry(r) for r in conn.execute(sql.ENTRIES, (call_id,))],
        events=[read.event(r) for r in conn.execute(sql.EVENTS, (call_id,))],
        audit=read.by_time(audit),
    )


def _purge(conn: sqlite3.Connection, before: str, now: str, dry_run: bool) -> int:
    with transaction(conn):
        calls = [(r[0],) for r in conn.execute(sql.TO_PURGE, (before,)).fetchall()]
        if not dry_run:
            conn.executemany(sql.PURGE_ENTRIES, calls)
            conn.executemany(sql.MARK_PURGED, [(now, c) for (c,) in calls])
    return len(calls)
