"""A store that opens on first use and keeps retrying, so a call can start while the DB is down."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from tools.audit import AttemptLimit, Disclosure, RecordedAttempt, VerificationAttempt
from tools.errors import StoreUnavailable
from tools.models import Customer, Order, Product, ReturnRequest
from tools.store import OrderStore

logger = logging.getLogger("acme.store")


class ReconnectingStore:
    """OrderStore that opens the real store lazily and retries opening after a failure.

    While the database is unreachable every call raises StoreUnavailable (spoken as an apology);
    once it is back the next call opens it. Attempts are spaced by `retry_interval` seconds so a
    down database is not hammered by every tool call.
    """

    def __init__(
        self,
        *,
        opener: Callable[[], Awaitable[OrderStore]],
        retry_interval: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._opener = opener
        self._retry_interval = retry_interval
        self._clock = clock
        self._store: OrderStore | None = None
        self._failed_at: float | None = None
        self._lock = asyncio.Lock()
        self.open_attempts = 0

    async def _inner(self) -> OrderStore:
        if self._store is not None:
            return self._store
        async with self._lock:
            if self._store is not None:
                return self._store
            if self._failed_at is not None and (
                self._clock() - self._failed_at < self._retry_interval
            ):
                raise StoreUnavailable()
            self.open_attempts += 1
            try:
                self._store = await self._opener()
            except StoreUnavailable:
                self._failed_at = self._clock()
                logger.warning("order store unavailable", extra={"attempts": self.open_attempts})
                raise
            self._failed_at = None
            return self._store

    async def get_order(self, order_id: str) -> Order | None:
        return await (await self._inner()).get_order(order_id)

    async def get_customer(self, customer_id: int) -> Customer | None:
        return await (await self._inner()).get_customer(customer_id)

    async def find_customer_by_email(self, email: str) -> Customer | None:
        return await (await self._inner()).find_customer_by_email(email)

    async def find_customer_by_phone(self, phone_e164: str) -> Customer | None:
        return await (await self._inner()).find_customer_by_phone(phone_e164)

    async def orders_for_customer(self, customer_id: int, *, limit: int = 10) -> list[Order]:
        return await (await self._inner()).orders_for_customer(customer_id, limit=limit)

    async def create_return(
        self, *, order_id: str, sku: str, reason: str, now: datetime
    ) -> tuple[ReturnRequest, bool]:
        store = await self._inner()
        return await store.create_return(order_id=order_id, sku=sku, reason=reason, now=now)

    async def get_return(self, order_id: str, sku: str) -> ReturnRequest | None:
        return await (await self._inner()).get_return(order_id, sku)

    async def search_products(self, query: str, *, limit: int = 3) -> list[Product]:
        return await (await self._inner()).search_products(query, limit=limit)

    async def record_verification(
        self, attempt: VerificationAttempt, *, limit: AttemptLimit
    ) -> RecordedAttempt:
        return await (await self._inner()).record_verification(attempt, limit=limit)

    async def record_disclosure(self, disclosure: Disclosure) -> None:
        await (await self._inner()).record_disclosure(disclosure)

    async def ping(self) -> None:
        await (await self._inner()).ping()

    async def close(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            await store.close()
