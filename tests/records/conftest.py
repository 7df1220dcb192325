"""Fixtures for the call record tests: the record store on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from tests.tools.conftest import pg_database, pg_server
from tools.call_records import CallRecordStore, open_call_records

__all__ = ["pg_database", "pg_server"]


@dataclass(frozen=True, kw_only=True)
class RecordsDb:
    """A real database holding call records, and a way to run SQL on it directly."""

    url: str
    store: CallRecordStore

    async def execute(self, statement: str) -> None:
        if self.url.startswith("sqlite"):
            path = self.url.removeprefix("sqlite:///")
            with sqlite3.connect(path) as conn:
                conn.executescript(statement)
            return
        conn = await asyncpg.connect(self.url, timeout=3)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    async def add_audit_tables(self, *, call_id: str) -> None:
        """The security audit tables in their shape (a call_id and a UTC time per row), with
        two verification outcomes and a disclosure for `call_id`, one row for another call."""
        at = "timestamptz" if self.url.startswith("postgres") else "TEXT"
        await self.execute(
            f"CREATE TABLE verification_events (id integer PRIMARY KEY, call_id text NOT NULL,"
            f" at {at} NOT NULL, outcome text NOT NULL, method text);"
            f"CREATE TABLE disclosures (id integer PRIMARY KEY, call_id text NOT NULL,"
            f" at {at} NOT NULL, field text NOT NULL, proof text NOT NULL);"
            "INSERT INTO verification_events VALUES"
            f" (1, '{call_id}', '2025-12-29 09:20:05+00', 'failed', 'zip'),"
            f" (2, '{call_id}', '2025-12-29 09:20:08+00', 'verified', 'zip'),"
            " (3, 'another-call', '2025-12-29 09:00:00+00', 'verified', 'email');"
            "INSERT INTO disclosures VALUES"
            f" (1, '{call_id}', '2025-12-29 09:20:09+00', 'shipping_address', 'zip');"
        )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def records_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A SQLite file, or a throwaway PostgreSQL database (a copy of the seeded order store)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'acme.db'}"
    url: str = request.getfixturevalue("pg_database")
    return url


@pytest.fixture
async def records_db(records_url: str) -> AsyncIterator[RecordsDb]:
    url = records_url
    store = open_call_records(url)
    try:
        yield RecordsDb(url=url, store=store)
    finally:
        await store.close()
