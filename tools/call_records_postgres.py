"""Call records in the PostgreSQL order database, on a small asyncpg pool that is opened on
first use and opened again after an outage."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import asyncpg

from tools import call_record_reads as read
from tools import call_records_postgres_sql as sql
from tools.call_record_rows import Batch, batch_of
from tools.call_records import AUDIT_TABLES, CallDetail, CallListing, CallQuery
from tools.errors import StoreUnavailable

logger = logging.getLogger("acme.tools.records")
T = TypeVar("T")
_FAILURES: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
    TimeoutError,
)


class PostgresCallRecords:
    """CallRecordStore on PostgreSQL; creates its tables (under an advisory lock) on first use."""

    def __init__(
        self,
        *,
        dsn: str,
        max_size: int = 2,
        connect_timeout: float = 3.0,
        command_timeout: float = 5.0,
    ) -> None:
        self._dsn = dsn
        self._max_size = max_size
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()

    async def add(self, call_id: str, records: Sequence[Mapping[str, Any]]) -> None:
        batch = batch_of(call_id, records)
        await self._run(lambda conn: _add(conn, batch))

    async def calls(self, query: CallQuery) -> list[CallListing]:
        where, values = query.conditions(lambda n: f"${n}", lambda d: d)
        text = sql.LIST_CALLS.format(
            conditions=where, limit=f"${len(values) + 1}", offset=f"${len(values) + 2}"
        )
        rows = await self._run(lambda conn: conn.fetch(text, *values, query.limit, query.offset))
        return [read.listing(tuple(r)) for r in rows]

    async def call(self, call_id: str) -> CallDetail | None:
        return await self._run(lambda conn: _call(conn, call_id))

    async def purge(self, *, before: datetime, now: datetime, dry_run: bool = False) -> int:
        return await self._run(lambda conn: _purge(conn, before, now, dry_run))

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        try:
            await asyncio.wait_for(pool.close(), timeout=self._command_timeout)
        except _FAILURES:
            pool.terminate()

    async def _open(self) -> asyncpg.Pool:
        async with self._lock:
            if self._pool is None:
                pool = await asyncpg.create_pool(
                    self._dsn, min_size=1, max_size=self._max_size,
                    timeout=self._connect_timeout, command_timeout=self._command_timeout,
                )  # fmt: skip
                try:
                    async with pool.acquire(timeout=self._connect_timeout) as conn:
                        async with conn.transaction():
                            await conn.execute(sql.LOCK, sql.SCHEMA_LOCK_KEY)
                            await conn.execute(sql.SCHEMA)
                except BaseException:
                    pool.terminate()
                    raise
                self._pool = pool
            return self._pool

    async def _run(self, fn: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        try:
            pool = await self._open()
            async with pool.acquire(timeout=self._connect_timeout) as conn:
                return await fn(conn)
        except _FAILURES as exc:
            logger.warning(
                "call record store failed",
                extra={"backend": "postgres", "error": type(exc).__name__},
            )
            if not isinstance(exc, asyncpg.PostgresError) or _connection_lost(exc):
                pool, self._pool = self._pool, None  # the next operation connects again
                if pool is not None:
                    pool.terminate()
            raise StoreUnavailable() from exc


def _connection_lost(exc: BaseException) -> bool:
    return isinstance(
        exc,
        asyncpg.PostgresConnectionError
        | asyncpg.AdminShutdownError
        | asyncpg.CannotConnectNowError
        | asyncpg.InvalidCatalogNameError,
    )


async def _add(conn: asyncpg.Connection, batch: Batch) -> None:
    async with conn.transaction():
        if batch.headers:
            await conn.executemany(sql.INSERT_CALL, batch.headers)
        calls = {e[0] for e in batch.entries}
        purged = {c for c in calls if await conn.fetchval(sql.IS_PURGED, c)}
        entries = [e for e in batch.entries if e[0] not in purged]
        if entries:
            await conn.executemany(sql.INSERT_ENTRY, entries)
        if batch.orders:
            await conn.executemany(sql.INSERT_ORDER, sorted(batch.orders))
        if batch.events:
            await conn.executemany(sql.INSERT_EVENT, batch.events)
        if batch.ends:
            await conn.executemany(sql.END_CALL, batch.ends)


async def _call(conn: asyncpg.Connection, call_id: str) -> CallDetail | None:
    row = await conn.fetchrow(sql.GET_CALL, call_id)
    if row is None:
        return None
    audit = []
    for table in AUDIT_TABLES:
        if await conn.fetchval(sql.TABLE_EXISTS, table):
            rows = await conn.fetch(sql.AUDIT_ROWS.format(table=table), call_id)
            audit += [read.audit(table, dict(r)) for r in rows]
    values = tuple(row)
    return CallDetail(
        call=read.listing(values[: read.LISTING_COLUMNS]),
        summary=read.as_json(values[read.LISTING_COLUMNS]) or {},
        entries=[read.entry(tuple(r)) for r in await conn.fetch(sql.ENTRIES, call_id)],
        events=[read.event(tuple(r)) for r in await conn.fetch(sql.EVENTS, call_id)],
        audit=read.by_time(audit),
    )


async def _purge(conn: asyncpg.Connection, before: datetime, now: datetime, dry_run: bool) -> int:
    async with conn.transaction():
        calls = [r["call_id"] for r in await conn.fetch(sql.TO_PURGE, before)]
        if calls and not dry_run:
            await conn.execute(sql.PURGE_ENTRIES, calls)
            await conn.execute(sql.MARK_PURGED, now, calls)
    return len(calls)
