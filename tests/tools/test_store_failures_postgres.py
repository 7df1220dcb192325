"""A PostgreSQL store survives killed connections and reports real outages as StoreUnavailable."""

from __future__ import annotations

import asyncpg
import pytest

from tests.tools.common import NOW, REFERENCE
from tests.tools.conftest import PgServer
from tools.errors import StoreUnavailable
from tools.postgres_store import PostgresOrderStore

pytestmark = pytest.mark.integration


def database_of(dsn: str) -> str:
    return dsn.rsplit("/", 1)[1]


async def backend_pids(admin: asyncpg.Connection, database: str) -> set[int]:
    rows = await admin.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", database)
    return {r["pid"] for r in rows}


async def terminate_all(admin: asyncpg.Connection, database: str) -> int:
    killed = await admin.fetchval(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = $1",
        database,
    )
    return int(killed)


async def assert_working(store: PostgresOrderStore) -> None:
    await store.ping()
    order = await store.get_order("ACME-1042")
    assert order is not None and order.status == "shipped"


async def test_terminated_connections_are_replaced(
    pg_server: PgServer, pg_store: PostgresOrderStore, pg_database: str
) -> None:
    admin = await asyncpg.connect(pg_server.admin_dsn)
    database = database_of(pg_database)
    try:
        await assert_working(store=pg_store)
        before = await backend_pids(admin, database)
        assert await terminate_all(admin, database) >= 1
        # The very next calls reconnect by themselves; the caller never hears about it.
        await assert_working(pg_store)
        _, created = await pg_store.create_return(
            order_id="ACME-1043", sku="HP-130", reason="x", now=NOW
        )
        assert created is True
        assert not (await backend_pids(admin, database)) & before
    finally:
        await admin.close()


async def test_refused_connections_then_recovery(
    pg_server: PgServer, pg_store: PostgresOrderStore, pg_database: str
) -> None:
    admin = await asyncpg.connect(pg_server.admin_dsn)
    database = database_of(pg_database)
    try:
        await assert_working(pg_store)
        await admin.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false')
        await terminate_all(admin, database)
        with pytest.raises(StoreUnavailable) as err:
            await pg_store.get_order("ACME-1042")
        assert isinstance(err.value.__cause__, asyncpg.PostgresError)
        with pytest.raises(StoreUnavailable):
            await pg_store.create_return(order_id="ACME-1043", sku="HP-130", reason="x", now=NOW)
        await admin.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')
        await assert_working(pg_store)
    finally:
        await admin.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')
        await admin.close()


async def test_dropped_database_then_restored(pg_server: PgServer, pg_database: str) -> None:
    store = await PostgresOrderStore.open(dsn=pg_database, seed_reference=REFERENCE)
    admin = await asyncpg.connect(pg_server.admin_dsn)
    database = database_of(pg_database)
    try:
        await assert_working(store)
        await admin.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        with pytest.raises(StoreUnavailable):
            await store.get_order("ACME-1042")
        with pytest.raises(StoreUnavailable):
            await store.ping()
        # Restore it (as from a backup), then the same store carries on.
        await admin.execute(f'CREATE DATABASE "{database}" TEMPLATE "{pg_server.template}"')
        await assert_working(store)
    finally:
        await store.close()
        await admin.close()


async def test_missing_tables_are_an_outage(pg_server: PgServer, pg_database: str) -> None:
    store = await PostgresOrderStore.open(dsn=pg_database, seed_reference=REFERENCE)
    conn = await asyncpg.connect(pg_database)
    try:
        await conn.execute("ALTER TABLE orders RENAME TO orders_moved")
        with pytest.raises(StoreUnavailable):
            await store.get_order("ACME-1042")
        await conn.execute("ALTER TABLE orders_moved RENAME TO orders")
        await assert_working(store)
    finally:
        await conn.close()
        await store.close()
