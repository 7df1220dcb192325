"""PostgreSQL order store on an asyncpg pool that reconnects by itself after outages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import asyncpg

from tools import postgres_audit as audit
from tools import postgres_sql as sql
from tools.audit import AttemptLimit, Disclosure, RecordedAttempt, VerificationAttempt
from tools.errors import OrderNotFound, StoreUnavailable
from tools.models import Customer, Order, Product, ReturnRequest, format_return_id
from tools.rows import OrderRow, item_from_row, order_from_row
from tools.search import CANDIDATE_LIMIT, like_pattern, query_terms, rank_products
from tools.seed import Dataset, generate_dataset

logger = logging.getLogger("acme.tools.postgres")
T = TypeVar("T")
MAX_ORDERS_PER_CUSTOMER = 50
# Errors after which a fresh connection may succeed: the pool replaces closed connections.
_RETRYABLE: tuple[type[BaseException], ...] = (
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.InternalClientError,
    OSError,
)
_FAILURES: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
    TimeoutError,
)
_ATTEMPTS = 3


class PostgresOrderStore:
    """OrderStore on PostgreSQL; every query runs on a pooled connection with short timeouts."""

    def __init__(
        self,
        *,
        dsn: str,
        min_size: int = 1,
        max_size: int = 4,
        connect_timeout: float = 3.0,
        command_timeout: float = 5.0,
    ) -> None:
        """Prefer ``await PostgresOrderStore.open(...)``: it also creates and seeds the schema."""
        self._dsn = dsn
        self._min_size = min_size
        self._max_size = max(max_size, min_size, 1)
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._pool: asyncpg.Pool | None = None

    @classmethod
    async def open(
        cls,
        *,
        dsn: str,
        seed: bool = True,
        seed_reference: date | None = None,
        min_size: int = 1,
        max_size: int = 4,
        connect_timeout: float = 3.0,
        command_timeout: float = 5.0,
    ) -> PostgresOrderStore:
        """Connect, create missing tables under an advisory lock, and seed them when empty."""
        store = cls(dsn=dsn, min_size=min_size, max_size=max_size,
                    connect_timeout=connect_timeout, command_timeout=command_timeout)  # fmt: skip
        try:
            store._pool = await asyncpg.create_pool(
                dsn, min_size=store._min_size, max_size=store._max_size,
                timeout=connect_timeout, command_timeout=command_timeout,
            )  # fmt: skip
            await store._with_connection(lambda conn: _setup(conn, seed, seed_reference))
        except _FAILURES as exc:
            await store.close()
            store._log_failure(exc)
            raise StoreUnavailable() from exc
        except BaseException:
            await store.close()
            raise
        return store

    # -- OrderStore -------------------------------------------------------------------------

    async def get_order(self, order_id: str) -> Order | None:
        rows = await self._with_connection(lambda conn: conn.fetch(sql.GET_ORDER, order_id))
        if not rows:
            return None
        items = tuple(item_from_row(tuple(r)[12:]) for r in rows if r["line_no"] is not None)
        return order_from_row(_order_row(rows[0]), items)

    async def get_customer(self, customer_id: int) -> Customer | None:
        return await self._customer(sql.GET_CUSTOMER, customer_id)

    async def find_customer_by_email(self, email: str) -> Customer | None:
        return await self._customer(sql.CUSTOMER_BY_EMAIL, email.strip().lower())

    async def find_customer_by_phone(self, phone_e164: str) -> Customer | None:
        return await self._customer(sql.CUSTOMER_BY_PHONE, phone_e164.strip())

    async def orders_for_customer(self, customer_id: int, *, limit: int = 10) -> list[Order]:
        limit = max(1, min(limit, MAX_ORDERS_PER_CUSTOMER))

        async def query(conn: asyncpg.Connection) -> tuple[list[Any], list[Any]]:
            rows = await conn.fetch(sql.ORDERS_FOR_CUSTOMER, customer_id, limit)
            ids = [r["order_id"] for r in rows]
            return rows, (await conn.fetch(sql.ITEMS_FOR_ORDERS, ids) if ids else [])

        rows, item_rows = await self._with_connection(query)
        items: dict[str, list[Any]] = {r["order_id"]: [] for r in rows}
        for item in item_rows:
            items[item["order_id"]].append(item_from_row(tuple(item)))
        return [order_from_row(_order_row(r), tuple(items[r["order_id"]])) for r in rows]

    async def create_return(
        self, *, order_id: str, sku: str, reason: str, now: datetime
    ) -> tuple[ReturnRequest, bool]:
        created = now if now.tzinfo else now.replace(tzinfo=UTC)

        async def insert(conn: asyncpg.Connection) -> tuple[Any, bool]:
            async with conn.transaction():
                row = await conn.fetchrow(sql.INSERT_RETURN, order_id, sku, reason, created)
                if row is not None:
                    return row, True
                return await conn.fetchrow(sql.GET_RETURN, order_id, sku), False

        try:
            row, was_created = await self._with_connection(insert)
        except StoreUnavailable as exc:
            if isinstance(exc.__cause__, asyncpg.ForeignKeyViolationError):
                raise OrderNotFound(order_id=order_id) from None
            raise
        if row is None:
            raise StoreUnavailable()
        return _return(row), was_created

    async def get_return(self, order_id: str, sku: str) -> ReturnRequest | None:
        row = await self._with_connection(lambda conn: conn.fetchrow(sql.GET_RETURN, order_id, sku))
        return None if row is None else _return(row)

    async def search_products(self, query: str, *, limit: int = 3) -> list[Product]:
        terms = query_terms(query)
        if not terms:
            return []
        patterns = [like_pattern(t) for t in terms]
        rows = await self._with_connection(
            lambda conn: conn.fetch(sql.SEARCH_PRODUCTS, patterns, CANDIDATE_LIMIT)
        )
        return rank_products((Product(**dict(r)) for r in rows), terms, limit=limit)

    async def record_verification(
        self, attempt: VerificationAttempt, *, limit: AttemptLimit
    ) -> RecordedAttempt:
        return await self._with_connection(
            lambda conn: audit.record_verification(conn, attempt, limit)
        )

    async def record_disclosure(self, disclosure: Disclosure) -> None:
        await self._with_connection(lambda conn: audit.record_disclosure(conn, disclosure))

    async def ping(self) -> None:
        await self._with_connection(lambda conn: conn.fetchval(sql.HAS_ORDERS))

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        try:
            await asyncio.wait_for(pool.close(), timeout=self._command_timeout)
        except _FAILURES:
            pool.terminate()

    # -- bulk loading -----------------------------------------------------------------------

    async def load(self, dataset: Dataset) -> None:
        """Bulk-copy a generated data set into empty tables (used by seeding and benches)."""

        async def copy(conn: asyncpg.Connection) -> None:
            async with conn.transaction():
                await _copy(conn, dataset)

        await self._with_connection(copy, attempts=1)

    async def order_count(self) -> int:
        count: int = await self._with_connection(
            lambda conn: conn.fetchval("SELECT count(*) FROM orders")
        )
        return count

    # -- plumbing ---------------------------------------------------------------------------

    async def _customer(self, query: str, value: object) -> Customer | None:
        row = await self._with_connection(lambda conn: conn.fetchrow(query, value))
        return None if row is None else Customer(**dict(row))

    async def _with_connection(
        self, fn: Callable[[asyncpg.Connection], Awaitable[T]], *, attempts: int = _ATTEMPTS
    ) -> T:
        """Run ``fn`` on a pooled connection; retry on a dead connection, map failures."""
        for attempt in range(1, attempts + 1):
            pool = self._pool
            if pool is None:
                raise StoreUnavailable()
            try:
                async with pool.acquire(timeout=self._connect_timeout) as conn:
                    return await fn(conn)
            except _RETRYABLE as exc:
                if attempt < attempts:
                    continue
                self._log_failure(exc)
                raise StoreUnavailable() from exc
            except _FAILURES as exc:
                self._log_failure(exc)
                raise StoreUnavailable() from exc
        raise StoreUnavailable()

    @staticmethod
    def _log_failure(exc: BaseException) -> None:
        logger.warning(
            "order store query failed", extra={"backend": "postgres", "error": type(exc).__name__}
        )


def _order_row(row: Any) -> OrderRow:
    values = tuple(row)
    return (values[0], values[1], values[2], values[3], values[4], values[5], values[6],
            values[7], values[8], values[9], values[10], values[11])  # fmt: skip


def _return(row: Any) -> ReturnRequest:
    return ReturnRequest(
        return_id=format_return_id(row["id"]), order_id=row["order_id"], sku=row["sku"],
        reason=row["reason"], status=row["status"], created_at=row["created_at"],
    )  # fmt: skip


async def _setup(conn: asyncpg.Connection, seed: bool, reference: date | None) -> None:
    async with conn.transaction():
        await conn.execute(sql.LOCK, sql.SCHEMA_LOCK_KEY)
        await conn.execute(sql.SCHEMA)
        await conn.execute(audit.SCHEMA)
        if seed and not await conn.fetchval(sql.HAS_ORDERS):
            await _copy(conn, generate_dataset(reference=reference))


async def _copy(conn: asyncpg.Connection, data: Dataset) -> None:
    if await conn.fetchval(sql.HAS_ORDERS):
        raise ValueError("order tables are not empty")
    await conn.copy_records_to_table(
        "products", columns=sql.PRODUCT_COLUMN_NAMES,
        records=[(p.sku, p.name, p.category, p.description, p.price_cents, p.stock)
                 for p in data.products],
    )  # fmt: skip
    await conn.copy_records_to_table(
        "customers", columns=sql.CUSTOMER_COLUMN_NAMES,
        records=[(c.id, c.name, c.email, c.phone, c.zip_code, c.street, c.city, c.state)
                 for c in data.customers],
    )  # fmt: skip
    await conn.copy_records_to_table(
        "orders", columns=sql.ORDER_COLUMN_NAMES, records=data.order_rows
    )
    await conn.copy_records_to_table(
        "order_items", columns=sql.ITEM_COLUMN_NAMES, records=data.item_rows
    )
    await conn.copy_records_to_table(
        "returns", columns=sql.RETURN_COLUMN_NAMES,
        records=[(int(r.return_id.removeprefix("RMA-")), r.order_id, r.sku, r.reason, r.status,
                  r.created_at) for r in data.returns],
    )  # fmt: skip
    await conn.execute(sql.SYNC_RETURN_IDS)
