"""Fixtures for the tools tests: a seeded SQLite store, and throwaway PostgreSQL databases."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.tools.common import REFERENCE
from tools.postgres_store import PostgresOrderStore
from tools.seed import Dataset, generate_dataset
from tools.sqlite_store import SqliteOrderStore

PG_ADMIN_DSN = os.environ.get(
    "ACME_TEST_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    """The data set every seeded store in these tests holds."""
    return generate_dataset(reference=REFERENCE)


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqliteOrderStore]:
    store = await SqliteOrderStore.open(path=tmp_path / "acme.db", seed_reference=REFERENCE)
    yield store
    await store.close()


@dataclass(frozen=True, slots=True, kw_only=True)
class PgServer:
    admin_dsn: str
    template: str

    def dsn(self, database: str) -> str:
        return self.admin_dsn.rsplit("/", 1)[0] + "/" + database


async def _admin() -> asyncpg.Connection:
    return await asyncpg.connect(PG_ADMIN_DSN, timeout=3)


async def _create_template(name: str, dsn: str) -> None:
    admin = await _admin()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    store = await PostgresOrderStore.open(dsn=dsn, seed_reference=REFERENCE)
    await store.close()


async def _drop_prefixed(prefix: str) -> None:
    admin = await _admin()
    try:
        names = await admin.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1",
            prefix.replace("_", r"\_") + "%",
        )
        for row in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A seeded template database for this session; skipped without a server unless CI is set."""
    try:
        asyncio.run(_ping_server())
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but unreachable: {exc!r}")
        pytest.skip(f"PostgreSQL not reachable: {exc!r}")
    prefix = f"acme_test_{uuid.uuid4().hex[:10]}"
    server = PgServer(admin_dsn=PG_ADMIN_DSN, template=f"{prefix}_tpl")
    try:
        asyncio.run(_create_template(server.template, server.dsn(server.template)))
        yield server
    finally:
        asyncio.run(_drop_prefixed(prefix))


async def _ping_server() -> None:
    admin = await _admin()
    await admin.close()


async def create_database_from_template(server: PgServer) -> str:
    """Copy the seeded template into a new database and return its name."""
    name = f"{server.template[:-4]}_{uuid.uuid4().hex[:8]}"
    admin = await _admin()
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{server.template}"')
    finally:
        await admin.close()
    return name


async def drop_database(name: str) -> None:
    admin = await _admin()
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def pg_database(pg_server: PgServer) -> AsyncIterator[str]:
    """A fresh copy of the seeded template for one test; yields its DSN."""
    name = await create_database_from_template(pg_server)
    try:
        yield pg_server.dsn(name)
    finally:
        await drop_database(name)


@pytest.fixture
async def pg_store(pg_database: str) -> AsyncIterator[PostgresOrderStore]:
    store = await PostgresOrderStore.open(dsn=pg_database, seed_reference=REFERENCE, max_size=4)
    yield store
    await store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def backend(request: pytest.FixtureRequest) -> PgServer | None:
    """Runs a test on SQLite (None) and on the PostgreSQL server."""
    return request.getfixturevalue("pg_server") if request.param == "postgres" else None


@pytest.fixture
async def database_url(backend: PgServer | None, tmp_path: Path) -> AsyncIterator[str]:
    """A seeded order database of its own for one test, that any number of stores may open."""
    if backend is None:
        url = f"sqlite:///{tmp_path}/acme.db"
        seeded = await SqliteOrderStore.open(path=tmp_path / "acme.db", seed_reference=REFERENCE)
        await seeded.close()
        yield url
        return
    name = await create_database_from_template(backend)
    try:
        yield backend.dsn(name)
    finally:
        await drop_database(name)


async def fetch(url: str, query: str) -> list[tuple[Any, ...]]:
    """Rows of a plain SQL query on a database_url, as a security team would read them."""
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return [tuple(r) for r in conn.execute(query).fetchall()]
    conn = await asyncpg.connect(url, timeout=3)
    try:
        return [tuple(r) for r in await conn.fetch(query)]
    finally:
        await conn.close()
