"""Spoken and keyed order numbers map to one canonical ID, or to a speakable refusal."""

from __future__ import annotations

import pytest

from tools.errors import AmbiguousOrderId, InvalidOrderId, SupportError
from tools.order_ids import normalize_digits, normalize_order_id, spoken_digits

pytestmark = pytest.mark.unit

SPOKEN = [
    ("ACME-1042", "ACME-1042"),
    ("acme 1042", "ACME-1042"),
    ("Acme1042", "ACME-1042"),
    ("A C M E dash one oh four two", "ACME-1042"),
    ("a c m e one zero four two", "ACME-1042"),
    ("A.C.M.E. 1042", "ACME-1042"),
    ("order number one zero four two", "ACME-1042"),
    ("ten forty two", "ACME-1042"),
    ("ten forty-two", "ACME-1042"),
    ("acme ten forty-two", "ACME-1042"),
    ("one thousand forty two", "ACME-1042"),
    ("one thousand and forty two", "ACME-1042"),
    ("a thousand forty two", "ACME-1042"),
    ("1 0 4 2", "ACME-1042"),
    ("1,042", "ACME-1042"),
    ("10 42", "ACME-1042"),
    ("one-oh-four-two", "ACME-1042"),
    ("one o four two", "ACME-1042"),
    ("one oh for two", "ACME-1042"),
    ("one oh fore two", "ACME-1042"),
    ("one oh four too", "ACME-1042"),
    ("one oh four to", "ACME-1042"),
    ("won oh four two", "ACME-1042"),
    ("ONE ZERO FOUR TWO", "ACME-1042"),
    ("number 1042.", "ACME-1042"),
    ("#1042", "ACME-1042"),
    ("um, it's uh, one oh four two", "ACME-1042"),
    ("my order is 1042", "ACME-1042"),
    ("yeah so my order number is acme dash 1042 thanks", "ACME-1042"),
    ("oh, it's one oh four two", "ACME-1042"),
    ("order for one oh four two", "ACME-1042"),
    ("1042 for my mom", "ACME-1042"),
    ("I'd like to check on ACME 1042", "ACME-1042"),
    ("ACME-1042, I ordered 2 things", "ACME-1042"),
    ("1042 1042", "ACME-1042"),
    ("one oh double four", "ACME-1044"),
    ("triple two one", "ACME-2221"),
    ("double oh seven one", "ACME-0071"),
    ("one two three four five six seven", "ACME-1234567"),
    ("twelve thirty four", "ACME-1234"),
    ("twelve hundred thirty four", "ACME-1234"),
    ("nineteen oh five", "ACME-1905"),
    ("two thousand five hundred", "ACME-2500"),
    ("forty two hundred", "ACME-4200"),
    ("one hundred two thousand three hundred forty five", "ACME-102345"),
    ("ACME-0042", "ACME-0042"),
    ("acme one oh four two oh", "ACME-10420"),
    ("ACME 1042 and my zip is 94110", "ACME-1042"),
    ("\uff21\uff23\uff2d\uff25-\uff11\uff10\uff14\uff12", "ACME-1042"),
    ("\u0661\u0660\u0664\u0662", "ACME-1042"),
    ("one\u200b oh four\ttwo\n", "ACME-1042"),
]


@pytest.mark.parametrize(("spoken", "expected"), SPOKEN)
def test_spoken_forms(spoken: str, expected: str) -> None:
    assert normalize_order_id(spoken) == expected


def test_table_is_large_enough() -> None:
    assert len(SPOKEN) >= 40


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello",
        "acme",
        "what's my order status",
        "123",
        "one oh four",
        "12345678",
        "one two three four five six seven eight",
        "'; DROP TABLE orders; --",
        "\x00\x01\x02",
        "9" * 300,
        "ACME-" + "1" * 190,
    ],
)
def test_invalid(text: str) -> None:
    with pytest.raises(InvalidOrderId) as err:
        normalize_order_id(text)
    assert "ACME" in str(err.value)


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("1042 or 1043", ("ACME-1042", "ACME-1043")),
        ("ACME-1042 no wait ACME-1043", ("ACME-1042", "ACME-1043")),
        ("one oh four two and one oh four three", ("ACME-1042", "ACME-1043")),
        ("my zip is 94110 and order 1042", ("ACME-94110", "ACME-1042")),
    ],
)
def test_ambiguous(text: str, candidates: tuple[str, ...]) -> None:
    with pytest.raises(AmbiguousOrderId) as err:
        normalize_order_id(text)
    assert err.value.candidates == candidates
    assert all(c in str(err.value) for c in candidates)


def test_errors_are_support_errors_with_one_sentence() -> None:
    for text in ("hello", "1042 1043"):
        with pytest.raises(SupportError) as err:
            normalize_order_id(text)
        message = str(err.value)
        assert message.endswith((".", "?"))
        assert message.count(". ") == 0
        assert "\n" not in message


@pytest.mark.parametrize(
    ("keyed", "expected"),
    [("1042", "ACME-1042"), ("1042#", "ACME-1042"), (" 1 0 4 2 # ", "ACME-1042"),
     ("0042", "ACME-0042"), ("1234567#", "ACME-1234567")],
)  # fmt: skip
def test_dtmf_digits(keyed: str, expected: str) -> None:
    assert normalize_digits(keyed) == expected


@pytest.mark.parametrize("keyed", ["", "#", "104", "12345678", "10*42", "*1042", "1042##x", "١٠٤٢"])
def test_dtmf_rejects(keyed: str) -> None:
    with pytest.raises(InvalidOrderId):
        normalize_digits(keyed)


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("nine four one one oh", "94110"),
        ("94110-1234", "941101234"),
        ("(415) 555-0142", "4155550142"),
        ("+1 415 555 0142", "14155550142"),
        ("oh, nine four one one zero", "94110"),
        ("no digits here", ""),
    ],
)
def test_spoken_digits(text: str, digits: str) -> None:
    assert spoken_digits(text) == digits
