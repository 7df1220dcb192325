"""Spoken formatting (money, dates, lists, phones) and argument cleaning for the desk."""

from __future__ import annotations

from datetime import date

import pytest

from tools.errors import InvalidInput
from tools.inputs import clean_text, parse_customer_id, parse_email, parse_phone, parse_zip
from tools.models import OrderItem
from tools.speech import items_summary, join_words, money, spoken_date, spoken_phone, when

pytestmark = pytest.mark.unit
TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("cents", "text"), [(4999, "$49.99"), (5, "$0.05"), (123456, "$1,234.56"), (-250, "-$2.50")]
)
def test_money(cents: int, text: str) -> None:
    assert money(cents) == text


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2026, 11, 24), "today, Tuesday, November 24"),
        (date(2026, 11, 25), "tomorrow, Wednesday, November 25"),
        (date(2026, 11, 23), "yesterday, Monday, November 23"),
        (date(2026, 11, 30), "Monday, November 30"),
        (date(2027, 1, 2), "Saturday, January 2, 2027"),
    ],
)
def test_spoken_date(day: date, text: str) -> None:
    assert spoken_date(day, today=TODAY) == text


def test_when_adds_on_only_for_plain_dates() -> None:
    assert when(date(2026, 11, 30), today=TODAY) == "on Monday, November 30"
    assert when(date(2026, 11, 25), today=TODAY) == "tomorrow, Wednesday, November 25"


def test_join_and_items() -> None:
    assert join_words([]) == ""
    assert join_words(["a"]) == "a"
    assert join_words(["a", "b"]) == "a and b"
    assert join_words(["a", "b", "c"]) == "a, b, and c"
    items = [
        OrderItem(sku=f"S{n}", product_name=f"Thing {n}", quantity=n, unit_price_cents=100,
                  return_window_days=30)
        for n in range(1, 6)
    ]  # fmt: skip
    assert items_summary(items[:2]) == "the Thing 1 and 2 of the Thing 2"
    assert (
        items_summary(items) == "the Thing 1, 2 of the Thing 2, 3 of the Thing 3, and 2 more items"
    )


def test_spoken_phone() -> None:
    assert spoken_phone("+14155550142") == "(415) 555-0142"
    assert spoken_phone("+442071234567") == "+442071234567"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  hi\tthere\n", "hi there"),
        ("a\x00b", "a b"),
        ("ＡＣＭＥ", "ACME"),
        ("x" * 200, "x" * 200),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw, what="thing") == clean


@pytest.mark.parametrize("raw", ["", " \n\t", "\x00\x01", "x" * 201, None, 42, b"bytes"])
def test_clean_text_refuses(raw: object) -> None:
    with pytest.raises(InvalidInput, match="thing"):
        clean_text(raw, what="thing")


@pytest.mark.parametrize(
    ("raw", "email"),
    [
        (" Jordan.Rivera@Example.COM ", "jordan.rivera@example.com"),
        ("jordan dot rivera at example dot com", "jordan.rivera@example.com"),
        ("sam.patel+acme@example.com", "sam.patel+acme@example.com"),
        ("jordan . rivera @ example . com", "jordan.rivera@example.com"),
    ],
)
def test_parse_email(raw: str, email: str) -> None:
    assert parse_email(raw) == email


@pytest.mark.parametrize("raw", ["jordan", "a@b", "@example.com", "a@@example.com", "x@-x.com"])
def test_parse_email_refuses(raw: str) -> None:
    with pytest.raises(InvalidInput, match="email"):
        parse_email(raw)


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("+14155550142", "+14155550142"),
        ("(415) 555-0142", "+14155550142"),
        ("1 415 555 0142", "+14155550142"),
        ("four one five five five five oh one four two", "+14155550142"),
        ("+44 20 7123 4567", "+442071234567"),
    ],
)
def test_parse_phone(raw: str, phone: str) -> None:
    assert parse_phone(raw) == phone


@pytest.mark.parametrize("raw", ["555-0142", "phone", "+1", "2" * 30])
def test_parse_phone_refuses(raw: str) -> None:
    with pytest.raises(InvalidInput, match="phone"):
        parse_phone(raw)


@pytest.mark.parametrize(
    ("raw", "zip_code"),
    [("94110", "94110"), ("94110-2301", "94110"), ("nine four one one oh", "94110")],
)
def test_parse_zip(raw: str, zip_code: str) -> None:
    assert parse_zip(raw) == zip_code


@pytest.mark.parametrize("raw", ["941", "9411012", "zip", "02139 10001"])
def test_parse_zip_refuses(raw: str) -> None:
    with pytest.raises(InvalidInput, match="ZIP"):
        parse_zip(raw)


def test_parse_customer_id() -> None:
    assert parse_customer_id(7) == 7
    for bad in (0, -1, True, "7", 2**40, None):
        with pytest.raises(InvalidInput):
            parse_customer_id(bad)
