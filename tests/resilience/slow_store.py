"""An order store that answers late: the real store behind a configurable delay per call."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from harness.acme import prepare_acme
from harness.call_setup import CallSetup, PreparedCall, Starter
from tools.models import Customer, Order, Product, ReturnRequest
from tools.store import OrderStore
from tools.support import SupportDesk


class SlowStore:
    """Wraps a real `OrderStore`; every call waits `delay_s` (changeable at any time) first.

    `orders_returned_at`: when each order lookup returned (`time.perf_counter`, the harness
    clock).
    """

    def __init__(self, store: OrderStore, *, delay_s: float = 0.0) -> None:
        self._store = store
        self.delay_s = delay_s
        self.orders_returned_at: list[float] = []

    async def _wait(self) -> None:
        await asyncio.sleep(self.delay_s)

    async def get_order(self, order_id: str) -> Order | None:
        await self._wait()
        try:
            return await self._store.get_order(order_id)
        finally:
            self.orders_returned_at.append(time.perf_counter())

    async def get_customer(self, customer_id: int) -> Customer | None:
        await self._wait()
        return await self._store.get_customer(customer_id)

    async def find_customer_by_email(self, email: str) -> Customer | None:
        await self._wait()
        return await self._store.find_customer_by_email(email)

    async def find_customer_by_phone(self, phone_e164: str) -> Customer | None:
        await self._wait()
        return await self._store.find_customer_by_phone(phone_e164)

    async def orders_for_customer(self, customer_id: int, *, limit: int = 10) -> list[Order]:
        await self._wait()
        return await self._store.orders_for_customer(customer_id, limit=limit)

    async def create_return(
        self, *, order_id: str, sku: str, reason: str, now: datetime
    ) -> tuple[ReturnRequest, bool]:
        await self._wait()
        return await self._store.create_return(order_id=order_id, sku=sku, reason=reason, now=now)

    async def get_return(self, order_id: str, sku: str) -> ReturnRequest | None:
        await self._wait()
        return await self._store.get_return(order_id, sku)

    async def search_products(self, query: str, *, limit: int = 3) -> list[Product]:
        await self._wait()
        return await self._store.search_products(query, limit=limit)

    async def ping(self) -> None:
        await self._store.ping()

    async def close(self) -> None:
        await self._store.close()


def _conforms(store: SlowStore) -> OrderStore:
    return store  # mypy checks SlowStore against the protocol here


def slowed_acme(delay_s: float, stores: list[SlowStore]) -> Starter:
    """Our call, wired as the worker wires it, whose tools reach the store through a new
    `SlowStore` (appended to `stores`)."""

    async def start(setup: CallSetup) -> PreparedCall:
        call = await prepare_acme(setup)
        slow = SlowStore(call.store, delay_s=delay_s)
        stores.append(slow)
        call.session.userdata.desk = SupportDesk(store=slow)
        return call

    return start
