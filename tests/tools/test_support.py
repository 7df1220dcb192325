"""The support desk on a real seeded SQLite store: answers, refusals, verification, returns."""

from __future__ import annotations

import logging
import re

import pytest

from tests.tools.common import NOW, clock
from tools.errors import (
    AmbiguousItem,
    AmbiguousOrderId,
    CustomerNotFound,
    InvalidInput,
    InvalidOrderId,
    ItemNotInOrder,
    NotVerified,
    OrderNotFound,
    ReturnNotAllowed,
    StoreUnavailable,
    VerificationFailed,
    VerificationLocked,
)
from tools.seed import Dataset
from tools.sqlite_store import SqliteOrderStore
from tools.support import CallerVerification, SupportDesk

pytestmark = pytest.mark.unit


@pytest.fixture
def desk(sqlite_store: SqliteOrderStore) -> SupportDesk:
    return SupportDesk(store=sqlite_store, clock=clock)


def assert_spoken(text: str) -> None:
    assert text and len(text) < 600
    assert not re.search(r"[*#_`\n]|^\s*-", text), text
    assert text.rstrip().endswith((".", "?")), text


async def test_status_of_shipped_order(desk: SupportDesk) -> None:
    text = await desk.order_status("a c m e ten forty two")
    assert_spoken(text)
    for fact in ("ACME-1042", "UPS", "1Z999AA10123456784", "Thursday, March 12", "Sunday, March 8",
                 "Aurora Wireless Headphones", "2 of the USB-C Cable 2m"):  # fmt: skip
        assert fact in text
    assert "Mission" not in text and "4242" not in text


@pytest.mark.parametrize(
    ("order_id", "facts"),
    [
        ("ACME-1043", ["was delivered", "Thursday, March 5", "Pulse Pro Earbuds"]),
        ("ACME-1044", ["was delivered", "January 9", "Smart Plug Mini"]),
        ("ACME-1045", ["being prepared for shipment", "today", "Electric Kettle"]),
        ("ACME-1046", ["was cancelled", "Video Doorbell"]),
        ("ACME-1047", ["out for delivery", "FedEx", "today", "771234567891"]),
    ],
)
async def test_status_of_each_showcase_state(
    desk: SupportDesk, order_id: str, facts: list[str]
) -> None:
    text = await desk.order_status(order_id)
    assert_spoken(text)
    assert all(f in text for f in facts), text


async def test_status_failures(desk: SupportDesk) -> None:
    with pytest.raises(OrderNotFound, match="ACME-9999"):
        await desk.order_status("ACME-9999")
    with pytest.raises(InvalidOrderId):
        await desk.order_status("my order")
    with pytest.raises(AmbiguousOrderId):
        await desk.order_status("1042 or 1043")
    with pytest.raises(InvalidInput):
        await desk.order_status("   ")
    with pytest.raises(InvalidInput):
        await desk.order_status("1" * 201)


async def test_find_orders_by_email_and_phone(desk: SupportDesk) -> None:
    text = await desk.find_orders(email=" Jordan.Rivera@Example.com ")
    assert_spoken(text)
    assert re.findall(r"ACME-\d+", text) == [
        "ACME-1045", "ACME-1042", "ACME-1043", "ACME-1044",
    ]  # fmt: skip
    assert "Mission" not in text
    by_phone = await desk.find_orders(phone="(312) 555-0107")
    assert re.findall(r"ACME-\d+", by_phone) == ["ACME-1047", "ACME-1048", "ACME-1046"]
    spoken = await desk.find_orders(email="sam dot patel at example dot com")
    assert "ACME-1047" in spoken


async def test_find_orders_lists_at_most_five(desk: SupportDesk, dataset: Dataset) -> None:
    counts: dict[int, int] = {}
    for row in dataset.order_rows:
        counts[row[1]] = counts.get(row[1], 0) + 1
    busy = next(c for c in dataset.customers if counts.get(c.id, 0) > 5)
    text = await desk.find_orders(email=busy.email)
    assert len(re.findall(r"ACME-\d+", text)) == 5
    assert "most recent" in text


async def test_find_orders_failures(desk: SupportDesk) -> None:
    with pytest.raises(CustomerNotFound):
        await desk.find_orders(email="nobody@example.com")
    with pytest.raises(InvalidInput):
        await desk.find_orders()
    with pytest.raises(InvalidInput):
        await desk.find_orders(email="not an email")
    with pytest.raises(InvalidInput):
        await desk.find_orders(phone="12")


async def test_details_refused_then_given_after_email_verification(desk: SupportDesk) -> None:
    v = CallerVerification()
    with pytest.raises(NotVerified):
        await desk.order_details(v, "ACME-1042")
    text = await desk.verify_caller(
        v, order_id_text="ACME-1042", email="JORDAN.rivera@example.com "
    )
    assert "Jordan" in text and "Rivera" not in text
    assert (v.customer_id, v.method) == (1, "email")
    details = await desk.order_details(v, "ACME-1042")
    assert_spoken(details)
    for fact in ("2140 Mission Street", "jordan.rivera@example.com", "(415) 555-0142", "4242"):
        assert fact in details
    assert "Mission" in await desk.order_details(v, "ACME-1044")


async def test_verification_is_per_customer(desk: SupportDesk) -> None:
    v = CallerVerification()
    await desk.verify_caller(v, order_id_text="ACME-1042", zip_code="94110-2301")
    assert v.method == "zip"
    with pytest.raises(NotVerified):
        await desk.order_details(v, "ACME-1047")


async def test_failures_then_lockout_even_for_the_right_answer(
    desk: SupportDesk, caplog: pytest.LogCaptureFixture
) -> None:
    v = CallerVerification()
    caplog.set_level(logging.INFO, logger="acme.security")
    with pytest.raises(VerificationFailed, match="2 more tries"):
        await desk.verify_caller(v, order_id_text="ACME-1042", zip_code="10001")
    with pytest.raises(VerificationFailed, match="one more try"):
        await desk.verify_caller(v, order_id_text="ACME-1042", email="evil@example.com")
    with pytest.raises(VerificationLocked):
        await desk.verify_caller(v, order_id_text="ACME-1042", zip_code="10002")
    assert v.locked and v.customer_id is None
    with pytest.raises(VerificationLocked):
        await desk.verify_caller(v, order_id_text="ACME-1042", email="jordan.rivera@example.com")
    with pytest.raises(VerificationLocked):
        await desk.order_details(v, "ACME-1042")
    assert v.customer_id is None
    failed = [r for r in caplog.records if r.getMessage() == "caller verification failed"]
    assert [getattr(r, "attempts", None) for r in failed] == [1, 2, 3]
    assert all(getattr(r, "order_id", None) == "ACME-1042" for r in failed)
    assert any(r.getMessage() == "caller verification locked" for r in caplog.records)
    for record in caplog.records:
        values = " ".join(map(str, record.__dict__.values()))
        for secret in ("10001", "10002", "evil@example.com", "jordan.rivera@example.com"):
            assert secret not in values


async def test_unverified_details_request_is_logged(
    desk: SupportDesk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="acme.security")
    with pytest.raises(NotVerified):
        await desk.order_details(CallerVerification(), "ACME-1042")
    (record,) = [r for r in caplog.records if r.name == "acme.security"]
    assert record.getMessage() == "personal details requested without verification"
    assert getattr(record, "order_id", None) == "ACME-1042"


async def test_verification_input_errors_do_not_count(desk: SupportDesk) -> None:
    v = CallerVerification()
    with pytest.raises(InvalidInput):
        await desk.verify_caller(v, order_id_text="ACME-1042")
    with pytest.raises(InvalidInput):
        await desk.verify_caller(v, order_id_text="ACME-1042", zip_code="12")
    with pytest.raises(OrderNotFound):
        await desk.verify_caller(v, order_id_text="ACME-9999", zip_code="94110")
    assert v.failed_attempts == 0


async def test_verify_by_phone_and_summary(desk: SupportDesk) -> None:
    v = CallerVerification()
    customer = await desk.verify_by_phone(v, "+13125550107")
    assert customer is not None and customer.name == "Sam Patel"
    assert (v.customer_id, v.method) == (2, "phone")
    summary = await desk.open_orders_summary(2)
    assert_spoken(summary)
    assert "Sam Patel" in summary and "ACME-1047" in summary
    assert "ACME-1046" not in summary and "ACME-1048" not in summary
    jordan = await desk.open_orders_summary(1)
    assert "2 open orders" in jordan and "ACME-1045" in jordan and "ACME-1042" in jordan
    assert await desk.verify_by_phone(CallerVerification(), "+19995550100") is None
    assert await desk.verify_by_phone(CallerVerification(), "anonymous") is None
    with pytest.raises(CustomerNotFound):
        await desk.open_orders_summary(999_999)
    with pytest.raises(InvalidInput):
        await desk.open_orders_summary(True)


async def test_return_started_once_then_idempotent(desk: SupportDesk) -> None:
    text = await desk.start_return(
        None, order_id_text="ACME-1043", item="pulse pro earbuds", reason="They don't fit."
    )
    assert_spoken(text)
    (rma,) = re.findall(r"RMA-\d{6}", text)
    again = await desk.start_return(
        CallerVerification(), order_id_text="ACME-1043", item="HP-130", reason="Changed my mind."
    )
    assert re.findall(r"RMA-\d{6}", again) == [rma]
    assert "already" in again
    other = await desk.start_return(
        None, order_id_text="ACME-1043", item="charger", reason="Not needed."
    )
    assert re.findall(r"RMA-\d{6}", other) != [rma]


async def test_existing_seeded_return(desk: SupportDesk) -> None:
    text = await desk.start_return(None, order_id_text="ACME-1048", item="speaker", reason="x")
    assert "RMA-000001" in text and "already" in text


@pytest.mark.parametrize(
    ("order_id", "reason", "words"),
    [
        ("ACME-1042", "not_delivered", "hasn't been delivered"),
        ("ACME-1045", "not_delivered", "hasn't been delivered"),
        ("ACME-1047", "not_delivered", "hasn't been delivered"),
        ("ACME-1046", "cancelled", "cancelled"),
        ("ACME-1044", "outside_window", "30 days"),
    ],
)
async def test_return_refusals(desk: SupportDesk, order_id: str, reason: str, words: str) -> None:
    with pytest.raises(ReturnNotAllowed) as err:
        await desk.start_return(None, order_id_text=order_id, item="smart plug", reason="x")
    assert err.value.reason == reason
    assert words in str(err.value)


async def test_return_item_matching(desk: SupportDesk) -> None:
    with pytest.raises(ItemNotInOrder):
        await desk.start_return(None, order_id_text="ACME-1043", item="blender", reason="x")
    with pytest.raises(AmbiguousItem):
        await desk.start_return(None, order_id_text="ACME-1043", item="it", reason="x")
    text = await desk.start_return(None, order_id_text="ACME-1048", item="it", reason="x")
    assert "Boom Mini Speaker" in text


async def test_returns_can_require_verification(sqlite_store: SqliteOrderStore) -> None:
    strict = SupportDesk(store=sqlite_store, clock=clock, returns_need_verification=True)
    with pytest.raises(NotVerified):
        await strict.start_return(None, order_id_text="ACME-1043", item="earbuds", reason="x")
    v = CallerVerification()
    await strict.verify_caller(v, order_id_text="ACME-1043", zip_code="94110")
    assert "RMA-" in await strict.start_return(
        v, order_id_text="ACME-1043", item="earbuds", reason="x"
    )


async def test_return_bad_input(desk: SupportDesk) -> None:
    for item, reason in (("", "x"), ("earbuds", " \n "), ("x" * 201, "y"), ("earbuds", "r" * 201)):
        with pytest.raises(InvalidInput):
            await desk.start_return(None, order_id_text="ACME-1043", item=item, reason=reason)


async def test_product_info(desk: SupportDesk) -> None:
    text = await desk.product_info("how much are the aurora wireless headphones")
    assert_spoken(text)
    assert "$149.99" in text and "in stock" in text
    assert "out of stock" in await desk.product_info("smart lock")
    assert "couldn't find" in await desk.product_info("flux capacitor")
    with pytest.raises(InvalidInput):
        await desk.product_info("")


async def test_window_counts_from_delivery(sqlite_store: SqliteOrderStore) -> None:
    # ACME-1043 was delivered on March 5 with a 30-day window: April 4 is the last day.
    late = SupportDesk(store=sqlite_store, clock=lambda: NOW.replace(month=4, day=5, hour=0))
    with pytest.raises(ReturnNotAllowed, match="30 days"):
        await late.start_return(None, order_id_text="ACME-1043", item="earbuds", reason="x")
    last_day = SupportDesk(store=sqlite_store, clock=lambda: NOW.replace(month=4, day=4, hour=23))
    assert "RMA-" in await last_day.start_return(
        None, order_id_text="ACME-1043", item="earbuds", reason="x"
    )


async def test_closed_store_is_unavailable(sqlite_store: SqliteOrderStore) -> None:
    desk = SupportDesk(store=sqlite_store, clock=clock)
    await sqlite_store.close()
    with pytest.raises(StoreUnavailable, match="trouble reaching our order system"):
        await desk.order_status("ACME-1042")
