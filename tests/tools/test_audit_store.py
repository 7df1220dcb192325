"""The audit trail in the order store: attempt limits shared by every connection, and disclosures.

Each test runs on SQLite and on PostgreSQL, with two store connections on one database standing
in for two workers.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.tools.common import NOW
from tests.tools.conftest import fetch
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


async def open_stores(url: str, count: int) -> list[OrderStore]:
    """`count` stores on one database: one per worker."""
    return [await open_store(url, seed=False, pool_size=4) for _ in range(count)]


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


async def test_failures_lock_the_customer_for_every_connection(database_url: str) -> None:
    first, second = await open_stores(database_url, 2)
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
    rows = await fetch(
        database_url,
        "SELECT outcome, count(*) FROM verification_events GROUP BY outcome ORDER BY outcome",
    )
    assert rows == [("failed", 6), ("locked", 2), ("rejected", 3), ("success", 1)]


async def test_failures_leave_the_window(database_url: str) -> None:
    [store] = await open_stores(database_url, 1)
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


async def test_a_calling_number_is_locked_across_customers(database_url: str) -> None:
    [store] = await open_stores(database_url, 1)
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


async def test_attempts_at_the_same_moment_all_count(database_url: str) -> None:
    """Eight failures at once from two connections: five recorded as failed, three as locked;
    a check-then-insert without the store's lock lets more than five through."""
    stores = await open_stores(database_url, 2)
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
    rows = await fetch(database_url, "SELECT outcome, count(*) FROM verification_events GROUP BY 1")
    assert sorted(rows) == [("failed", 5), ("locked", 3)]


async def test_disclosures_answer_who_heard_the_address(database_url: str) -> None:
    [store] = await open_stores(database_url, 1)
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
    [row] = await fetch(database_url, WHO_HEARD_THE_ADDRESS)
    at, call_id, order_id, proof, calling_number = row
    when = at if isinstance(at, datetime) else datetime.fromisoformat(at)
    assert when == NOW + timedelta(seconds=5) and when.tzinfo is not None
    assert when.utcoffset() == UTC.utcoffset(None)
    assert (call_id, order_id, proof) == ("call-7", "ACME-1042", "order+zip")
    assert calling_number == number
