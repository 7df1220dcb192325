"""SQLite order store: stdlib sqlite3 on one worker thread so the event loop never waits."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from tools import sqlite_audit as audit
from tools import sqlite_queries as q
from tools import sqlite_sql as sql
from tools.audit import AttemptLimit, Disclosure, RecordedAttempt, VerificationAttempt
from tools.errors import StoreUnavailable
from tools.models import Customer, Order, Product, ReturnRequest
from tools.search import query_terms, rank_products
from tools.seed import Dataset

logger = logging.getLogger("acme.tools.sqlite")
T = TypeVar("T")
MEMORY = ":memory:"


class SqliteOrderStore:
    """OrderStore on a SQLite file in WAL mode; reopens the file after any failure."""

    def __init__(self, *, path: str | Path, busy_timeout: float = 2.0) -> None:
        """Prefer ``await SqliteOrderStore.open(...)``, which also creates and seeds the schema."""
        self._path = str(path)
        self._busy_timeout = busy_timeout
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="acme-sqlite")
        self._conn: sqlite3.Connection | None = None  # only touched on the worker thread
        self._identity: tuple[int, int] | None = None
        self._closed = False

    @classmethod
    async def open(
        cls,
        *,
        path: str | Path,
        seed: bool = True,
        seed_reference: date | None = None,
        busy_timeout: float = 2.0,
        setup_timeout: float = 60.0,
    ) -> SqliteOrderStore:
        """Create the schema if missing, seed an empty database when asked, and return the store.

        Waits up to `setup_timeout` for another process that is seeding the same file.
        """
        store = cls(path=path, busy_timeout=busy_timeout)
        try:
            if store.path != MEMORY:
                await store._make_parent_dirs()
            await store._run(
                functools.partial(q.setup, wait_s=setup_timeout, busy_s=busy_timeout),
                seed,
                seed_reference,
            )
        except BaseException:
            await store.close()
            raise
        return store

    @property
    def path(self) -> str:
        return self._path

    # -- OrderStore -------------------------------------------------------------------------

    async def get_order(self, order_id: str) -> Order | None:
        return await self._run(q.get_order, order_id)

    async def get_customer(self, customer_id: int) -> Customer | None:
        return await self._run(q.one_customer, sql.GET_CUSTOMER, (customer_id,))

    async def find_customer_by_email(self, email: str) -> Customer | None:
        return await self._run(q.one_customer, sql.CUSTOMER_BY_EMAIL, (email.strip().lower(),))

    async def find_customer_by_phone(self, phone_e164: str) -> Customer | None:
        return await self._run(q.one_customer, sql.CUSTOMER_BY_PHONE, (phone_e164.strip(),))

    async def orders_for_customer(self, customer_id: int, *, limit: int = 10) -> list[Order]:
        limit = max(1, min(limit, q.MAX_ORDERS_PER_CUSTOMER))
        return await self._run(q.orders_for_customer, customer_id, limit)

    async def create_return(
        self, *, order_id: str, sku: str, reason: str, now: datetime
    ) -> tuple[ReturnRequest, bool]:
        created = (now if now.tzinfo else now.replace(tzinfo=UTC)).isoformat()
        return await self._run(q.create_return, order_id, sku, reason, created)

    async def get_return(self, order_id: str, sku: str) -> ReturnRequest | None:
        return await self._run(q.get_return, order_id, sku)

    async def search_products(self, query: str, *, limit: int = 3) -> list[Product]:
        terms = query_terms(query)
        if not terms:
            return []
        products = await self._run(q.search_products, terms)
        return rank_products(products, terms, limit=limit)

    async def record_verification(
        self, attempt: VerificationAttempt, *, limit: AttemptLimit
    ) -> RecordedAttempt:
        return await self._run(audit.record_verification, attempt, limit)

    async def record_disclosure(self, disclosure: Disclosure) -> None:
        await self._run(audit.record_disclosure, disclosure)

    async def ping(self) -> None:
        await self._run(q.ping)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await asyncio.get_running_loop().run_in_executor(self._executor, self._drop_connection)
        await asyncio.to_thread(self._executor.shutdown, wait=True)

    # -- bulk loading -----------------------------------------------------------------------

    async def load(self, dataset: Dataset) -> None:
        """Bulk-insert a generated data set into empty tables (used by seeding and benches)."""
        await self._run(q.load, dataset)

    async def order_count(self) -> int:
        return await self._run(q.order_count)

    # -- worker-thread plumbing -------------------------------------------------------------

    async def _make_parent_dirs(self) -> None:
        try:
            await asyncio.to_thread(Path(self._path).parent.mkdir, parents=True, exist_ok=True)
        except OSError as exc:
            logger.warning("order store directory unusable", extra={"backend": "sqlite"})
            raise StoreUnavailable() from exc

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._closed:
            raise StoreUnavailable()
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, self._call, fn, *args)
        except (sqlite3.Error, OSError) as exc:
            logger.warning(
                "order store query failed", extra={"backend": "sqlite", "error": type(exc).__name__}
            )
            raise StoreUnavailable() from exc

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            return fn(self._connection(), *args)
        except (sqlite3.Error, OSError):
            if self._path != MEMORY:
                self._drop_connection()
            raise

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None and self._path != MEMORY:
            try:
                stat = os.stat(self._path)
            except OSError:
                self._drop_connection()
                raise
            if (stat.st_dev, stat.st_ino) != self._identity:
                self._drop_connection()
        if self._conn is None:
            # Only the very first open may create the file; later a missing file is an outage.
            self._conn = self._connect(create=self._identity is None)
        return self._conn

    def _connect(self, *, create: bool) -> sqlite3.Connection:
        if self._path == MEMORY:
            if not create:
                raise sqlite3.OperationalError("in-memory database is gone")
            target, uri = MEMORY, False
        else:
            target, uri = f"file:{quote(self._path)}?mode={'rwc' if create else 'rw'}", True
        conn = sqlite3.connect(
            target, uri=uri, timeout=self._busy_timeout, isolation_level=None,
            check_same_thread=False,
        )  # fmt: skip
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            stat = os.stat(self._path) if self._path != MEMORY else None
            self._identity = (stat.st_dev, stat.st_ino) if stat else (0, 0)
        except BaseException:
            conn.close()
            raise
        return conn

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                logger.debug("closing a failed sqlite connection raised", exc_info=True)
