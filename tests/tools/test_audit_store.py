"""The audit trail in the order store: attempt limits shared by every connection, and disclosures.

Each test runs on SQLite and on PostgreSQL, with two store connections on one database standing
in for two workers.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.tools.common import NOW, REFERENCE
from tests.tools.conftest import PgServer, create_database_from_template, drop_database
from tools.audit import AttemptLimit, Disclosure, Outcome, VerificationAttempt
from tools.store import OrderStore
from tools.stores import open_store

LIMIT = AttemptLimit(max_failures=5, window=timedelta(hours=24))
# "Who heard this customer's address, and on what proof?" (README "Security").
WHO_HEARD_THE_ADDRESS = """
SELECT d.at, d.call_id, d.order_id, d.method AS proof, v.calling_number
FROM disclosures d
LEFT JOIN verification_events v
  ON v.call_id = d.call_id AND v.customer_id = d.customer_id AND v.outcome = 'success'
WHERE d.customer_id = 1 AND d.fields LIKE '%shipping_address%'
ORDER BY d.at
"""


@dataclass
class Database:
    """One database, opened as many stores as a test wants, and read with plain SQL."""

    url: str
    fetch: Callable[[str], Awaitable[list[tuple[Any, ...]]]]

    async def store(self) -> OrderStore:
        return await open_store(self.url, seed=False, pool_size=4)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def server(request: pytest.FixtureRequest) -> PgServer | None:
    """None for SQLite; the PostgreSQL server (session fixture) otherwise."""
    return request.getfixturevalue("pg_server") if request.param == "postgres" else None


@pytest.fixture
async def database(server: PgServer | None, tmp_path: Path) -> AsyncIterator[Database]:
    if server is None:
        path = tmp_path / "acme.db"
        seeded = await open_store(f"sqlite:///{path}", seed_reference=REFERENCE)
        await seeded.close()

        async def fetch_sqlite(query: str) -> list[tuple[Any, ...]]:
            with sqlite3.connect(path) as conn:
                return [tuple(r) for r in conn.execute(query).fetchall()]

        yield Database(url=f"sqlite:///{path}", fetch=fetch_sqlite)
        return
    name = await create_database_from_template(server)
    dsn = server.dsn(name)

    async def fetch_pg(query: str) -> list[tuple[Any, ...]]:
        conn = await asyncpg.connect(dsn)
        try:
            return [tuple(r) for r in await conn.fetch(query)]
        finally:
            await conn.close()

    try:
        yield Database(url=dsn, fetch=fetch_pg)
    finally:
        await drop_database(name)


def attempt(
    outcome: Outcome,
    *,
    customer_id: int | None = 1,
    number: str | None = None,
    at: datetime = NOW,
    call_id: str = "room-A",
) -> VerificationAttempt:
    return VerificationAttempt(
        at=at, call_id=call_id, outcome=outcome, method="order+zip", customer_id=customer_id,
        order_id="ACME-1042", calling_number=number,
    )  # fmt: skip


pytestmark = pytest.mark.unit


async def test_failures_lock_the_customer_for_every_connection(database: Database) -> None:
    first, second = await database.store(), await database.store()
    try:
        outcomes = []
        for n in range(5):
            store = first if n % 2 else second
            recorded = await store.record_verification(attempt("failed"), limit=LIMIT)
            outcomes.append((recorded.outcome, recorded.failures))
        assert outcomes == [("failed", n) for n in range(1, 6)]
        # The right answer, on either connection, is now refused; another customer is not.
        assert (await first.record_verification(attempt("success"), limit=LIMIT)).outcome == (
            "locked"
        )
        assert (await second.record_verification(attempt("failed"), limit=LIMIT)).outcome == (
            "locked"
        )
        other = await first.record_verification(attempt("success", customer_id=2), limit=LIMIT)
        assert other.outcome == "success"
        # Rejected attempts never count.
        for _ in range(3):
            await first.record_verification(attempt("rejected", customer_id=2), limit=LIMIT)
        assert (await first.record_verification(attempt("failed", customer_id=2), limit=LIMIT)) == (
            type(other)(outcome="failed", failures=1)
        )
    finally:
        await first.close()
        await second.close()
    rows = await database.fetch(
        "SELECT outcome, count(*) FROM verification_events GROUP BY outcome ORDER BY outcome"
    )
    assert rows == [("failed", 6), ("locked", 2), ("rejected", 3), ("success", 1)]


async def test_failures_leave_the_window(database: Database) -> None:
    store = await database.store()
    try:
        old = NOW - timedelta(hours=25)
        for _ in range(5):
            await store.record_verification(attempt("failed", at=old), limit=LIMIT)
        assert (await store.record_verification(attempt("success"), limit=LIMIT)).outcome == (
            "success"
        )
        short = AttemptLimit(max_failures=5, window=timedelta(hours=30))
        assert (await store.record_verification(attempt("success"), limit=short)).outcome == (
            "locked"
        )
    finally:
        await store.close()


async def test_a_calling_number_is_locked_across_customers(database: Database) -> None:
    store = await database.store()
    number = "+12125550199"
    try:
        for customer in range(10, 15):  # guessing at five different accounts from one phone
            recorded = await store.record_verification(
                attempt("failed", customer_id=customer, number=number), limit=LIMIT
            )
            assert recorded.outcome == "failed"
        blocked = await store.record_verification(
            attempt("success", customer_id=20, number=number), limit=LIMIT
        )
        assert blocked.outcome == "locked"
        elsewhere = await store.record_verification(
            attempt("success", customer_id=20, number="+13125550107"), limit=LIMIT
        )
        assert elsewhere.outcome == "success"
    finally:
        await store.close()


async def test_attempts_at_the_same_moment_all_count(database: Database) -> None:
    """Eight failures at once from two connections: five recorded as failed, three as locked;
    a check-then-insert without the store's lock lets more than five through."""
    stores = [await database.store(), await database.store()]
    try:
        results = await asyncio.gather(
            *(
                stores[n % 2].record_verification(attempt("failed", call_id=f"c{n}"), limit=LIMIT)
                for n in range(8)
            )
        )
    finally:
        for store in stores:
            await store.close()
    assert sorted(r.outcome for r in results) == ["failed"] * 5 + ["locked"] * 3
    assert sorted(r.failures for r in results if r.outcome == "failed") == [1, 2, 3, 4, 5]
    rows = await database.fetch("SELECT outcome, count(*) FROM verification_events GROUP BY 1")
    assert sorted(rows) == [("failed", 5), ("locked", 3)]


async def test_disclosures_answer_who_heard_the_address(database: Database) -> None:
    store = await database.store()
    number = "+14155550142"
    try:
        verified = attempt("success", number=number, call_id="call-7")
        assert (await store.record_verification(verified, limit=LIMIT)).outcome == "success"
        await store.record_disclosure(
            Disclosure(
                at=NOW + timedelta(seconds=5), call_id="call-7", customer_id=1,
                fields=("shipping_address", "email", "phone", "card_last4"),
                method="order+zip", order_id="ACME-1042",
            )
        )  # fmt: skip
        await store.record_disclosure(
            Disclosure(
                at=NOW, call_id="call-8", customer_id=1, fields=("name",), method="email+zip"
            )
        )
        await store.record_disclosure(
            Disclosure(
                at=NOW, call_id="call-9", customer_id=2, fields=("shipping_address",),
                method="caller_id", order_id="ACME-1047",
            )
        )  # fmt: skip
    finally:
        await store.close()
    [row] = await database.fetch(WHO_HEARD_THE_ADDRESS)
    at, call_id, order_id, proof, calling_number = row
    when = at if isinstance(at, datetime) else datetime.fromisoformat(at)
    assert when == NOW + timedelta(seconds=5) and when.tzinfo is not None
    assert when.utcoffset() == UTC.utcoffset(None)
    assert (call_id, order_id, proof) == ("call-7", "ACME-1042", "order+zip")
    assert calling_number == number
