"""The order store contract on SQLite, plus SQLite-only behaviour (file creation, reseeding)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.tools.common import NOW, REFERENCE
from tests.tools.store_contract import StoreContract
from tools.errors import StoreUnavailable
from tools.seed import generate_dataset
from tools.sqlite_store import SqliteOrderStore
from tools.store import OrderStore

pytestmark = pytest.mark.unit


class TestSqliteStore(StoreContract):
    @pytest.fixture
    async def store(self, sqlite_store: SqliteOrderStore) -> AsyncIterator[OrderStore]:
        yield sqlite_store


async def test_open_creates_parent_dirs_schema_and_indexes(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "acme.db"
    store = await SqliteOrderStore.open(path=path, seed_reference=REFERENCE)
    await store.close()
    with sqlite3.connect(path) as conn:
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM customers WHERE lower(email) = ?", ("x",)
        ).fetchall()
    assert {"idx_customers_email", "idx_customers_phone", "idx_orders_customer"} <= indexes
    assert {"idx_products_name"} <= indexes
    assert journal == "wal"
    assert "idx_customers_email" in str(plan)


async def test_reopening_does_not_seed_twice(tmp_path: Path) -> None:
    path = tmp_path / "acme.db"
    first = await SqliteOrderStore.open(path=path, seed_reference=REFERENCE)
    await first.create_return(order_id="ACME-1043", sku="HP-130", reason="x", now=NOW)
    await first.close()
    second = await SqliteOrderStore.open(path=path, seed_reference=REFERENCE)
    try:
        assert await second.order_count() == 1200
        assert await second.get_return("ACME-1043", "HP-130") is not None
    finally:
        await second.close()


async def test_two_processes_worth_of_stores_seed_once(tmp_path: Path) -> None:
    path = tmp_path / "acme.db"
    stores = await asyncio.gather(
        *(SqliteOrderStore.open(path=path, seed_reference=REFERENCE) for _ in range(4))
    )
    try:
        assert [await s.order_count() for s in stores] == [1200] * 4
        results = await asyncio.gather(
            *(s.create_return(order_id="ACME-1043", sku="HP-130", reason="x", now=NOW)
              for s in stores for _ in range(3))
        )  # fmt: skip
        assert sum(created for _, created in results) == 1
    finally:
        for s in stores:
            await s.close()


async def test_unseeded_store_is_empty_and_loadable(tmp_path: Path) -> None:
    store = await SqliteOrderStore.open(path=tmp_path / "empty.db", seed=False)
    try:
        assert await store.order_count() == 0
        assert await store.get_order("ACME-1042") is None
        await store.load(generate_dataset(reference=REFERENCE, orders=300, customers=30))
        assert await store.order_count() == 300
        with pytest.raises(ValueError, match="not empty"):
            await store.load(generate_dataset(reference=REFERENCE, orders=300, customers=30))
    finally:
        await store.close()


async def test_in_memory_store(dataset: object) -> None:
    store = await SqliteOrderStore.open(path=":memory:", seed_reference=REFERENCE)
    try:
        order = await store.get_order("ACME-1045")
        assert order is not None
        assert order.status == "processing"
    finally:
        await store.close()


async def test_open_waits_for_another_process_seeding(tmp_path: Path) -> None:
    path = tmp_path / "acme.db"
    await (await SqliteOrderStore.open(path=path, seed=False)).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another worker holds the write lock, as while seeding

    async def release_later() -> None:
        await asyncio.sleep(0.6)
        other.execute("COMMIT")

    release = asyncio.create_task(release_later())
    try:
        store = await SqliteOrderStore.open(
            path=path, seed_reference=REFERENCE, busy_timeout=0.05, setup_timeout=10.0
        )
        try:
            assert await store.order_count() == 1200
        finally:
            await store.close()
    finally:
        await release
        other.close()


async def test_open_gives_up_after_the_setup_timeout(tmp_path: Path) -> None:
    path = tmp_path / "acme.db"
    await (await SqliteOrderStore.open(path=path, seed=False)).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreUnavailable):
            await SqliteOrderStore.open(
                path=path, seed_reference=REFERENCE, busy_timeout=0.05, setup_timeout=0.2
            )
    finally:
        other.execute("ROLLBACK")
        other.close()
