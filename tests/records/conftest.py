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
        """The security audit tables (created as the order store creates them, if missing), with
        two verification attempts and a disclosure for `call_id`, one row for another call."""
        pg = self.url.startswith("postgres")
        at, key = (
            ("timestamptz", "bigint GENERATED ALWAYS AS IDENTITY") if pg else ("TEXT", "INTEGER")
        )
        await self.execute(
            f"CREATE TABLE IF NOT EXISTS verification_events (id {key} PRIMARY KEY,"
            f" at {at} NOT NULL, call_id text NOT NULL, outcome text NOT NULL,"
            " method text NOT NULL, customer_id integer, order_id text, calling_number text);"
            f"CREATE TABLE IF NOT EXISTS disclosures (id {key} PRIMARY KEY, at {at} NOT NULL,"
            " call_id text NOT NULL, order_id text, customer_id integer NOT NULL,"
            " fields text NOT NULL, method text NOT NULL);"
            "INSERT INTO verification_events (at, call_id, outcome, method, order_id) VALUES"
            f" ('2025-12-29 09:20:05+00', '{call_id}', 'failed', 'order+zip', 'ACME-1042'),"
            f" ('2025-12-29 09:20:08+00', '{call_id}', 'success', 'order+zip', 'ACME-1042'),"
            " ('2025-12-29 09:00:00+00', 'another-call', 'success', 'email+zip', 'ACME-1043');"
            "INSERT INTO disclosures (at, call_id, order_id, customer_id, fields, method) VALUES"
            f" ('2025-12-29 09:20:09+00', '{call_id}', 'ACME-1042', 1, 'shipping_address',"
            " 'order+zip');"
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
