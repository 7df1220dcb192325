"""ReconnectingStore: a call can start while the database is down and recovers when it is back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.errors import StoreUnavailable
from tools.reconnecting_store import ReconnectingStore
from tools.store import OrderStore
from tools.stores import open_store

pytestmark = pytest.mark.unit


async def test_opens_lazily_and_recovers(tmp_path: Path) -> None:
    await (await open_store(f"sqlite:///{tmp_path}/ok.db", seed=True)).close()
    up = False
    now = [0.0]

    async def opener() -> OrderStore:
        if not up:
            raise StoreUnavailable()
        return await open_store(f"sqlite:///{tmp_path}/ok.db", seed=False)

    store = ReconnectingStore(opener=opener, retry_interval=2.0, clock=lambda: now[0])
    assert store.open_attempts == 0
    with pytest.raises(StoreUnavailable):
        await store.get_order("ACME-1042")
    with pytest.raises(StoreUnavailable):  # within the retry interval: no new attempt
        await store.search_products("earbuds")
    assert store.open_attempts == 1

    up = True
    with pytest.raises(StoreUnavailable):
        await store.get_order("ACME-1042")
    now[0] = 2.5
    order = await store.get_order("ACME-1042")
    assert order is not None and order.order_id == "ACME-1042"
    assert store.open_attempts == 2
    assert (await store.search_products("earbuds"))[0].name
    await store.close()
