"""The support desk on a real seeded SQLite store: answers, refusals, verification, returns."""

from __future__ import annotations

import logging
import re

import pytest

from tests.tools.common import NOW, clock
from tools.errors import (
    AmbiguousItem,
    AmbiguousOrderId,
    InvalidInput,
    InvalidOrderId,
    ItemNotInOrder,
    NeedAnotherFactor,
    NotVerified,
    OrderNotFound,
    ReadBackNeeded,
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


JORDAN_EMAIL = "jordan.rivera@example.com"


@pytest.fixture
def call() -> CallerVerification:
    return CallerVerification(call_id="room-job")


async def verified(desk: SupportDesk, customer: int = 1) -> CallerVerification:
    """A call verified by email and ZIP code (Jordan: customer 1, Sam: customer 2)."""
    v = CallerVerification(call_id="room-job")
    email, zip_code = {
        1: ("jordan.rivera@example.com", "94110"), 2: ("sam.patel@example.com", "60614")
    }[customer]  # fmt: skip
    await desk.verify_caller(v, email=email, zip_code=zip_code)
    assert v.customer_id == customer
    return v


def assert_spoken(text: str) -> None:
    assert text and len(text) < 600
    assert not re.search(r"[*#_`\n]|^\s*-", text), text
    assert text.rstrip().endswith((".", "?")), text


async def test_status_of_shipped_order(desk: SupportDesk, call: CallerVerification) -> None:
    text = await desk.order_status(call, "ACME-1042")
    assert_spoken(text)
    for fact in ("ACME-1042", "UPS", "1Z999AA10123456784", "Thursday, March 12", "Sunday, March 8",
                 "Aurora Wireless Headphones", "2 of the USB-C Cable 2m"):  # fmt: skip
        assert fact in text
    assert "Mission" not in text and "4242" not in text and "Jordan" not in text


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
    desk: SupportDesk, call: CallerVerification, order_id: str, facts: list[str]
) -> None:
    text = await desk.order_status(call, order_id)
    assert_spoken(text)
    assert all(f in text for f in facts), text


async def test_status_failures(desk: SupportDesk, call: CallerVerification) -> None:
    with pytest.raises(OrderNotFound, match="ACME-9999"):
        await desk.order_status(call, "ACME-9999")
    with pytest.raises(InvalidOrderId):
        await desk.order_status(call, "my order")
    with pytest.raises(InvalidOrderId):
        await desk.order_status(call, "my number is 415-555-1043")
    with pytest.raises(AmbiguousOrderId):
        await desk.order_status(call, "1042 or 1043")
    with pytest.raises(InvalidInput):
        await desk.order_status(call, "   ")
    with pytest.raises(InvalidInput):
        await desk.order_status(call, "1" * 201)


async def test_rebuilt_number_is_read_back_before_anything_is_said(
    desk: SupportDesk, call: CallerVerification
) -> None:
    with pytest.raises(ReadBackNeeded) as asked:
        await desk.order_status(call, "a c m e ten forty two")
    assert str(asked.value) == "Just to be sure I have the right order: is it ACME-1042?"
    # Confirmed without a read-back of that number: read back first.
    with pytest.raises(ReadBackNeeded, match="ACME-1043"):
        await desk.order_status(call, "ten forty three", confirmed=True)
    assert "UPS" not in str(asked.value)
    with pytest.raises(ReadBackNeeded, match="ACME-1042"):
        await desk.order_status(call, "ten forty two")  # a new read-back replaces the old
    text = await desk.order_status(call, "ten forty two", confirmed=True)
    assert "ACME-1042 shipped with UPS" in text
    # Once confirmed, the same number needs no second read-back in this call.
    assert "ACME-1042" in await desk.order_status(call, "one oh four two")
    with pytest.raises(ReadBackNeeded):
        await desk.order_details(call, "ten forty three")
    with pytest.raises(ReadBackNeeded):
        await desk.start_return(call, order_id_text="1O43", item="earbuds", reason="x")


async def test_listing_orders_needs_verification(desk: SupportDesk) -> None:
    v = CallerVerification()
    with pytest.raises(NotVerified, match="email address and ZIP code"):
        await desk.find_orders(v)
    with pytest.raises(NeedAnotherFactor, match="ZIP code"):
        await desk.find_orders(v, email="jordan.rivera@example.com")
    assert v.revealed == set()
    text = await desk.find_orders(v, email=" Jordan.Rivera@Example.com ", zip_code="94110")
    assert_spoken(text)
    assert re.findall(r"ACME-\d+", text) == [
        "ACME-1045", "ACME-1042", "ACME-1043", "ACME-1044",
    ]  # fmt: skip
    assert "Mission" not in text
    assert v.revealed == {"ACME-1042", "ACME-1043", "ACME-1044", "ACME-1045"}
    again = await desk.find_orders(v)  # verified: nothing more to give
    assert re.findall(r"ACME-\d+", again) == re.findall(r"ACME-\d+", text)
    with pytest.raises(NotVerified):
        await desk.find_orders(v, email="sam.patel@example.com")  # someone else's account
    sam = CallerVerification()
    spoken = await desk.find_orders(sam, email="sam dot patel at example dot com", zip_code="60614")
    assert re.findall(r"ACME-\d+", spoken) == ["ACME-1047", "ACME-1048", "ACME-1046"]


async def test_find_orders_lists_at_most_five(desk: SupportDesk, dataset: Dataset) -> None:
    counts: dict[int, int] = {}
    for row in dataset.order_rows:
        counts[row[1]] = counts.get(row[1], 0) + 1
    busy = next(c for c in dataset.customers if counts.get(c.id, 0) > 5)
    text = await desk.find_orders(CallerVerification(), email=busy.email, zip_code=busy.zip_code)
    assert len(re.findall(r"ACME-\d+", text)) == 5
    assert "most recent" in text


async def test_find_orders_failures(desk: SupportDesk) -> None:
    v = CallerVerification()
    with pytest.raises(VerificationFailed):
        await desk.find_orders(v, email="nobody@example.com", zip_code="94110")
    with pytest.raises(InvalidInput):
        await desk.find_orders(v, email="not an email", zip_code="94110")
    with pytest.raises(InvalidInput):
        await desk.find_orders(v, email="jordan.rivera@example.com", zip_code="12")
    assert v.customer_id is None and v.failed_attempts == 1


async def test_details_refused_then_given_after_verification(
    desk: SupportDesk, call: CallerVerification
) -> None:
    with pytest.raises(NotVerified):
        await desk.order_details(call, "ACME-1042")
    text = await desk.verify_caller(
        call, order_id_text="ACME-1042", email="JORDAN.rivera@example.com "
    )
    assert text == "Thank you, Jordan; you're verified for order ACME-1042."
    assert (call.customer_id, call.method) == (1, "email+order")
    details = await desk.order_details(call, "ACME-1042")
    assert_spoken(details)
    for fact in ("2140 Mission Street", "jordan.rivera@example.com", "(415) 555-0142", "4242"):
        assert fact in details
    assert "Mission" in await desk.order_details(call, "ACME-1044")


@pytest.mark.parametrize(
    ("given", "method"),
    [
        ({"order_id_text": "ACME-1042", "zip_code": "94110-2301"}, "order+zip"),
        ({"order_id_text": "ACME-1042", "email": "jordan.rivera@example.com"}, "email+order"),
        ({"email": "jordan.rivera@example.com", "zip_code": "94110"}, "email+zip"),
        (
            {"order_id_text": "ACME-1044", "email": JORDAN_EMAIL, "zip_code": "94110"},
            "email+order+zip",
        ),
    ],
)
async def test_any_two_matching_factors_verify(
    desk: SupportDesk, given: dict[str, str], method: str
) -> None:
    v = CallerVerification()
    assert "Thank you, Jordan" in await desk.verify_caller(v, **given)
    assert (v.customer_id, v.method) == (1, method)
    with pytest.raises(NotVerified):
        await desk.order_details(v, "ACME-1047")  # Sam's


@pytest.mark.parametrize(
    ("given", "ask_for"),
    [
        ({"order_id_text": "ACME-1042"}, "email address or ZIP code"),
        ({"email": "jordan.rivera@example.com"}, "ZIP code"),
        ({"email": "nobody@example.com"}, "ZIP code"),  # the same answer: no account oracle
        ({"zip_code": "94110"}, "email address on your account, or your order number"),
    ],
)
async def test_one_factor_is_not_enough_and_does_not_count(
    desk: SupportDesk, given: dict[str, str], ask_for: str
) -> None:
    v = CallerVerification()
    with pytest.raises(NeedAnotherFactor) as err:
        await desk.verify_caller(v, **given)
    assert ask_for in str(err.value)
    assert (v.customer_id, v.failed_attempts) == (None, 0)


async def test_an_order_number_the_agent_said_is_no_proof(desk: SupportDesk) -> None:
    v = CallerVerification()
    v.revealed.add("ACME-1042")  # as after a listing: the caller only repeats it
    with pytest.raises(NeedAnotherFactor, match="ZIP code"):
        await desk.verify_caller(v, order_id_text="ACME-1042", email="jordan.rivera@example.com")
    assert v.customer_id is None
    await desk.verify_caller(
        v, order_id_text="ACME-1042", email="jordan.rivera@example.com", zip_code="94110"
    )
    assert v.method == "email+zip"


@pytest.mark.parametrize(
    ("email", "zip_code"),
    [
        ("jordan.rivera@examp1e.com", None),  # digit one for the letter l
        ("jordan.rivera@ex\u0430mple.com", None),  # Cyrillic a
        ("j\u03bfrdan.rivera@example.com", None),  # Greek omicron
        ("jordan.rivera@example.co", None),
        (None, "94II0"),  # letters for digits are not the ZIP code
        (None, "941100"),
    ],
)
async def test_look_alike_answers_fail(
    desk: SupportDesk, email: str | None, zip_code: str | None
) -> None:
    v = CallerVerification()
    with pytest.raises((VerificationFailed, InvalidInput)):
        await desk.verify_caller(v, order_id_text="ACME-1042", email=email, zip_code=zip_code)
    assert v.customer_id is None


@pytest.mark.parametrize(
    ("email", "zip_code"),
    [
        ("  JORDAN.Rivera@EXAMPLE.com ", None),
        ("jordan dot rivera at example dot com", None),
        ("\uff4a\uff4f\uff52\uff44\uff41\uff4e.rivera@example.com", None),  # full-width
        (None, " 94110 "),
        (None, "nine four one one oh"),
        (None, "94110-2301"),
    ],
)
async def test_case_and_spacing_differences_pass(
    desk: SupportDesk, email: str | None, zip_code: str | None
) -> None:
    v = CallerVerification()
    await desk.verify_caller(v, order_id_text="ACME-1042", email=email, zip_code=zip_code)
    assert v.customer_id == 1


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
        await desk.verify_caller(v)
    with pytest.raises(InvalidInput):
        await desk.verify_caller(v, order_id_text="ACME-1042", zip_code="12")
    with pytest.raises(OrderNotFound):
        await desk.verify_caller(v, order_id_text="ACME-9999", zip_code="94110")
    with pytest.raises(ReadBackNeeded):
        await desk.verify_caller(v, order_id_text="ten forty two", zip_code="94110")
    assert v.failed_attempts == 0
    assert "Jordan" in await desk.verify_caller(
        v, order_id_text="ten forty two", zip_code="94110", confirmed=True
    )


async def test_caller_id_identifies_and_needs_one_more_factor(desk: SupportDesk) -> None:
    v = CallerVerification()
    known = await desk.identify_caller(v, "+13125550107")
    assert known is not None and known.customer.name == "Sam Patel"
    assert [o.order_id for o in known.orders] == ["ACME-1047", "ACME-1048", "ACME-1046"]
    assert (v.customer_id, v.calling_number) == (None, "+13125550107")
    with pytest.raises(NotVerified):
        await desk.order_details(v, "ACME-1047")
    text = await desk.verify_caller(v, zip_code="60614")
    assert text.startswith("Thank you, Sam; you're verified. Your one open order: ACME-1047")
    assert (v.customer_id, v.method) == (2, "caller_id+zip")
    assert "ACME-1048" not in text and "ACME-1046" not in text
    assert v.revealed == {"ACME-1047"}
    assert await desk.identify_caller(CallerVerification(), "+19995550100") is None
    assert await desk.identify_caller(CallerVerification(), "anonymous") is None


async def test_trusted_caller_id_verifies_with_a_summary(desk: SupportDesk) -> None:
    v = CallerVerification()
    assert await desk.trust_caller_id(v) is None  # nobody identified yet
    await desk.identify_caller(v, "+14155550142")
    summary = await desk.trust_caller_id(v)
    assert summary is not None and summary.startswith("The caller is Jordan Rivera")
    assert "2 open orders" in summary and "ACME-1045" in summary and "ACME-1042" in summary
    assert (v.customer_id, v.method) == (1, "caller_id")
    sam = CallerVerification()
    await desk.identify_caller(sam, "+13125550107")
    assert "ACME-1047" in (await desk.trust_caller_id(sam) or "")


async def test_returns_need_verification_and_the_verified_customer(desk: SupportDesk) -> None:
    with pytest.raises(NotVerified, match="start a return"):
        await desk.start_return(
            CallerVerification(), order_id_text="ACME-1043", item="earbuds", reason="x"
        )
    sam = await verified(desk, 2)
    with pytest.raises(NotVerified, match="isn't on the account"):
        await desk.start_return(sam, order_id_text="ACME-1043", item="earbuds", reason="x")
    jordan = await verified(desk, 1)
    text = await desk.start_return(
        jordan, order_id_text="ACME-1043", item="pulse pro earbuds", reason="They don't fit."
    )
    assert_spoken(text)
    (rma,) = re.findall(r"RMA-\d{6}", text)
    again = await desk.start_return(
        jordan, order_id_text="ACME-1043", item="HP-130", reason="Changed my mind."
    )
    assert re.findall(r"RMA-\d{6}", again) == [rma]
    assert "already" in again
    other = await desk.start_return(
        jordan, order_id_text="ACME-1043", item="charger", reason="Not needed."
    )
    assert re.findall(r"RMA-\d{6}", other) != [rma]


async def test_relaxed_returns_still_never_touch_another_verified_customers_order(
    sqlite_store: SqliteOrderStore,
) -> None:
    relaxed = SupportDesk(store=sqlite_store, clock=clock, returns_need_verification=False)
    anyone = CallerVerification()
    assert "RMA-" in await relaxed.start_return(
        anyone, order_id_text="ACME-1043", item="earbuds", reason="x"
    )
    sam = await verified(relaxed, 2)
    with pytest.raises(NotVerified):
        await relaxed.start_return(sam, order_id_text="ACME-1043", item="charger", reason="x")


async def test_existing_seeded_return(desk: SupportDesk) -> None:
    sam = await verified(desk, 2)
    text = await desk.start_return(sam, order_id_text="ACME-1048", item="speaker", reason="x")
    assert "RMA-000001" in text and "already" in text


@pytest.mark.parametrize(
    ("order_id", "customer", "reason", "words"),
    [
        ("ACME-1042", 1, "not_delivered", "hasn't been delivered"),
        ("ACME-1045", 1, "not_delivered", "hasn't been delivered"),
        ("ACME-1047", 2, "not_delivered", "hasn't been delivered"),
        ("ACME-1046", 2, "cancelled", "cancelled"),
        ("ACME-1044", 1, "outside_window", "30 days"),
    ],
)
async def test_return_refusals(
    desk: SupportDesk, order_id: str, customer: int, reason: str, words: str
) -> None:
    v = await verified(desk, customer)
    with pytest.raises(ReturnNotAllowed) as err:
        await desk.start_return(v, order_id_text=order_id, item="smart plug", reason="x")
    assert err.value.reason == reason
    assert words in str(err.value)


async def test_return_item_matching(desk: SupportDesk) -> None:
    jordan, sam = await verified(desk, 1), await verified(desk, 2)
    with pytest.raises(ItemNotInOrder):
        await desk.start_return(jordan, order_id_text="ACME-1043", item="blender", reason="x")
    with pytest.raises(AmbiguousItem):
        await desk.start_return(jordan, order_id_text="ACME-1043", item="it", reason="x")
    text = await desk.start_return(sam, order_id_text="ACME-1048", item="it", reason="x")
    assert "Boom Mini Speaker" in text


async def test_return_bad_input(desk: SupportDesk) -> None:
    v = await verified(desk, 1)
    for item, reason in (("", "x"), ("earbuds", " \n "), ("x" * 201, "y"), ("earbuds", "r" * 201)):
        with pytest.raises(InvalidInput):
            await desk.start_return(v, order_id_text="ACME-1043", item=item, reason=reason)


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
        await late.start_return(
            await verified(late), order_id_text="ACME-1043", item="earbuds", reason="x"
        )
    last_day = SupportDesk(store=sqlite_store, clock=lambda: NOW.replace(month=4, day=4, hour=23))
    assert "RMA-" in await last_day.start_return(
        await verified(last_day), order_id_text="ACME-1043", item="earbuds", reason="x"
    )


async def test_closed_store_is_unavailable(sqlite_store: SqliteOrderStore) -> None:
    desk = SupportDesk(store=sqlite_store, clock=clock)
    await sqlite_store.close()
    with pytest.raises(StoreUnavailable, match="trouble reaching our order system"):
        await desk.order_status(CallerVerification(), "ACME-1042")
