"""The order store contract on PostgreSQL, plus concurrent schema creation by several workers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.tools.common import REFERENCE
from tests.tools.conftest import PgServer, drop_database
from tests.tools.store_contract import StoreContract
from tools.postgres_store import PostgresOrderStore
from tools.store import OrderStore
from tools.stores import open_store

pytestmark = pytest.mark.integration


class TestPostgresStore(StoreContract):
    @pytest.fixture
    async def store(self, pg_store: PostgresOrderStore) -> AsyncIterator[OrderStore]:
        yield pg_store


async def test_workers_starting_together_create_and_seed_once(pg_server: PgServer) -> None:
    name = f"{pg_server.template[:-4]}_fresh"
    admin = await asyncpg.connect(pg_server.admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    dsn = pg_server.dsn(name)
    try:
        stores = await asyncio.gather(
            *(PostgresOrderStore.open(dsn=dsn, seed_reference=REFERENCE) for _ in range(4))
        )
        try:
            assert [await s.order_count() for s in stores] == [1200] * 4
        finally:
            for s in stores:
                await s.close()
        conn = await asyncpg.connect(dsn)
        try:
            assert await conn.fetchval("SELECT count(*) FROM customers") == 240
            indexes = {r["indexname"] for r in await conn.fetch("SELECT indexname FROM pg_indexes")}
        finally:
            await conn.close()
        assert {"idx_customers_email", "idx_customers_phone", "idx_orders_customer"} <= indexes
        assert {"idx_products_name", "returns_order_id_sku_key"} <= indexes
    finally:
        await drop_database(name)


async def test_open_store_picks_postgres_for_both_schemes(pg_database: str) -> None:
    for url in (pg_database, pg_database.replace("postgresql://", "postgres://", 1)):
        store = await open_store(url, seed=False, pool_size=2)
        try:
            assert isinstance(store, PostgresOrderStore)
            order = await store.get_order("ACME-1047")
            assert order is not None
            assert order.status == "out_for_delivery"
        finally:
            await store.close()
