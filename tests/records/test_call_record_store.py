"""The call record store on real SQLite and PostgreSQL: idempotent shipping, spoken order,
filters, security events and audit rows, retention."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.records.conftest import RecordsDb
from tests.records.spools import T0, header, message, summary, tool
from tools.call_records import IN_PROGRESS, CallQuery, open_call_records
from tools.errors import NotVerified, StoreUnavailable

pytestmark = pytest.mark.unit

LOOKUP = '{"order_id": "ACME-1042"}'
SHIPPED = "Order ACME-1042 shipped with UPS."


def late_transcript_call(call_id: str, at: float = T0) -> list[dict[str, object]]:
    """A Realtime call: the tool ran (seq 2) before the caller's words arrived (seq 3)."""
    records = [
        header(call_id, at=at, mode="realtime"),
        message(1, "assistant", "Hi, this is Ava from Acme.", at + 0.5),
        tool(2, "lookup_order", LOOKUP, SHIPPED, at + 4.0),
        message(3, "user", "Where is order ACME-1042?", at + 2.0),
        message(4, "assistant", "It shipped with UPS.", at + 4.6, metrics={"e2e_latency": 1.2}),
    ]
    return [*records, summary(records, ended_at=at + 9.0)]


async def test_records_shipped_twice_are_stored_once_in_spoken_order(records_db: RecordsDb) -> None:
    records = late_transcript_call("call-1")
    store = records_db.store
    await store.add("call-1", records[:3])
    await store.add("call-1", records)  # a retry after an unanswered commit, then the rest
    await store.add("call-1", records[2:])

    detail = await store.call("call-1")
    assert detail is not None
    said = [(e.kind, e.role or e.tool) for e in detail.entries]
    assert said == [
        ("message", "assistant"),
        ("message", "user"),  # spoken before the tool ran, though it arrived after
        ("tool_call", "lookup_order"),
        ("message", "assistant"),
    ]
    assert [e.seq for e in detail.entries] == [1, 3, 2, 4]
    assert detail.entries[2].output == SHIPPED and detail.entries[2].is_error is False
    assert detail.entries[3].metrics == {"e2e_latency": 1.2}
    call = detail.call
    assert (call.mode, call.caller_kind, call.outcome, call.turns) == (
        "realtime",
        "web",
        "hang-up",
        1,
    )
    assert call.duration_s == pytest.approx(9.0)
    assert call.slowest_turn_s == pytest.approx(1.2)
    assert call.orders == ("ACME-1042",)
    assert detail.summary["turns"] == [{"n": 1, "at": T0 + 4.6, "latency": 1.2}]


async def test_call_list_filters_by_order_day_and_outcome(records_db: RecordsDb) -> None:
    store = records_db.store
    day_two = T0 + 86400
    await store.add("a", late_transcript_call("a"))
    other = [header("b", at=day_two), message(1, "user", "How much are the earbuds?", day_two + 1)]
    await store.add("b", [*other, summary(other, ended_at=day_two + 5, outcome="transfer")])
    await store.add("c", [header("c", at=day_two + 60, caller="phone")])  # still going

    async def ids(**filters: object) -> list[str]:
        return [c.call_id for c in await store.calls(CallQuery(**filters))]  # type: ignore[arg-type]

    assert await ids() == ["c", "b", "a"]  # newest first
    assert await ids(order_id="ACME-1042") == ["a"]
    assert await ids(order_id="ACME-9999") == []
    first_day = datetime.fromtimestamp(T0, UTC).date()
    assert await ids(day=first_day) == ["a"]
    assert await ids(day=first_day + timedelta(days=1)) == ["c", "b"]
    assert await ids(outcome="transfer") == ["b"]
    assert await ids(outcome=IN_PROGRESS) == ["c"]
    assert await ids(outcome="hang-up", day=date(2000, 1, 1)) == []
    assert await ids(limit=1, offset=1) == ["b"]


async def test_security_events_and_audit_rows_stay_through_the_purge(records_db: RecordsDb) -> None:
    store = records_db.store
    records = [
        header("v", at=T0),
        tool(1, "get_order_details", LOOKUP, NotVerified().message, T0 + 2, error=True),
        tool(2, "verify_caller", '{"order_id": "ACME-1042", "zip_code": "00000"}',
             "Sorry, that doesn't match our records for this order.", T0 + 5, error=True),
        tool(3, "verify_caller", '{"order_id": "ACME-1042", "zip_code": "94110"}',
             "Thanks, you're verified for order ACME-1042.", T0 + 8),
        tool(4, "get_order_details", LOOKUP, "It ships to 2140 Mission Street.", T0 + 9),
    ]  # fmt: skip
    await store.add("v", [*records, summary(records, ended_at=T0 + 12)])
    await records_db.add_audit_tables(call_id="v")

    detail = await store.call("v")
    assert detail is not None
    expected_events = [
        ("refused", "get_order_details refused: caller not verified (ACME-1042)"),
        ("failed", "verification failed (ACME-1042)"),
        ("verified", "caller verified (ACME-1042)"),
        ("disclosed", "order details read to a verified caller (ACME-1042)"),
    ]
    assert [(e.kind, e.detail) for e in detail.events] == expected_events
    audit = [(a.table, a.fields.get("outcome") or a.fields.get("fields")) for a in detail.audit]
    assert audit == [
        ("verification_events", "failed"),
        ("verification_events", "success"),
        ("disclosures", "shipping_address"),
    ]
    assert all(a.at is not None and a.at.tzinfo is not None for a in detail.audit)

    now = datetime.fromtimestamp(T0, UTC) + timedelta(days=91)
    cutoff = now - timedelta(days=90)
    assert await store.purge(before=cutoff, now=now, dry_run=True) == 1
    assert (await store.call("v")).entries  # type: ignore[union-attr]
    assert await store.purge(before=cutoff, now=now) == 1
    assert await store.purge(before=cutoff, now=now) == 0
    await store.add("v", records)  # a spool shipped again after the purge brings nothing back

    purged = await store.call("v")
    assert purged is not None and purged.call.purged
    assert purged.entries == []
    assert [(e.kind, e.detail) for e in purged.events] == expected_events
    assert len(purged.audit) == 3
    assert purged.call.outcome == "hang-up" and purged.call.orders == ("ACME-1042",)
    assert "2140 Mission" not in json.dumps(purged.summary)


async def test_recent_calls_are_not_purged(records_db: RecordsDb) -> None:
    await records_db.store.add("new", late_transcript_call("new", at=T0 + 80 * 86400))
    now = datetime.fromtimestamp(T0, UTC) + timedelta(days=91)
    assert await records_db.store.purge(before=now - timedelta(days=90), now=now) == 0
    detail = await records_db.store.call("new")
    assert detail is not None and len(detail.entries) == 4


async def test_unknown_call_is_none(records_db: RecordsDb) -> None:
    assert await records_db.store.call("nope") is None


async def test_an_unreachable_database_is_store_unavailable(tmp_path: Path) -> None:
    store = open_call_records(f"sqlite:///{tmp_path / 'missing' / 'acme.db'}")
    with pytest.raises(StoreUnavailable):
        await store.add("x", late_transcript_call("x"))
    with pytest.raises(StoreUnavailable):
        await store.calls(CallQuery())
