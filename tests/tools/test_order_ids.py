"""Spoken and keyed order numbers map to one canonical ID, or to a speakable refusal."""

from __future__ import annotations

import pytest

from tools.errors import AmbiguousOrderId, InvalidOrderId, SupportError
from tools.order_ids import hear_order_id, normalize_digits, normalize_order_id, spoken_digits

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
        ("one oh four two and one oh four three", ("ACME-1042", "ACME-1043")),
        ("is it 1042 or 1044, I forget", ("ACME-1042", "ACME-1044")),
        ("order 1042 and order 1043", ("ACME-1042", "ACME-1043")),
        ("ACME-1042 ACME-1043 sorry", ("ACME-1042", "ACME-1043")),  # nothing after the "sorry"
    ],
)
def test_ambiguous(text: str, candidates: tuple[str, ...]) -> None:
    with pytest.raises(AmbiguousOrderId) as err:
        normalize_order_id(text)
    assert err.value.candidates == candidates
    assert all(c in str(err.value) for c in candidates)


# Numbers heard in context: what a caller says beside (or instead of) an order number, in the
# renderings Deepgram (smart_format, numerals) and OpenAI transcription produce. None: no order.
IN_CONTEXT = [
    # Phone numbers, in every common US and E.164 rendering, and said digit by digit.
    ("My number is 415-555-1043", None),
    ("my number is (415) 555-0142", None),
    ("(415) 555-0142", None),
    ("call me at 415.555.1043", None),
    ("+1 415 555 1043", None),
    ("+1 (415) 555-1043", None),
    ("+14155551043", None),
    ("1-415-555-1043", None),
    ("1 (415) 555-1043", None),
    ("4155551043", None),
    ("415 555 1043", None),
    ("my cell is 555-1043", None),
    ("phone is 555 1043", None),
    ("+44 20 7946 0958", None),
    ("my phone number is four one five five five five one oh four three", None),
    ("my number is five five five one oh four three", None),
    ("four one five, five five five, one oh four three", None),
    ("order 1042, call me back at 415-555-1043", "ACME-1042"),
    # ZIP codes.
    ("my zip code is 94110", None),
    ("zip 94110", None),
    ("my zip code's nine four one one oh", None),
    ("94110-2301", None),
    ("postal code 60614", None),
    ("my zip is 94110 and order 1042", "ACME-1042"),
    ("ACME 1042 and my zip is 94110", "ACME-1042"),
    # Prices.
    ("I paid $149.99 for order 1042", "ACME-1042"),
    ("it was 149.99", None),
    ("I paid 1,042 dollars", None),
    ("$1,042", None),
    ("\u20ac1042", None),
    ("1042 bucks", None),
    ("it cost a thousand forty two dollars", None),
    ("I paid one forty nine ninety nine for order 1042", "ACME-1042"),
    ("about 50 percent", None),
    ("50%", None),
    # Dates and years, alone and glued to an order number.
    ("I ordered in March 2024", None),
    ("I ordered on March 5, 2024", None),
    ("March 5th, 2024", None),
    ("on the 5th of March", None),
    ("March fifth twenty twenty four", None),
    ("on 2024-03-14", None),
    ("ordered 03-14-2024", None),
    ("back in 2019", None),
    ("since 2023", None),
    ("in twenty twenty four", None),
    ("order 1042 placed on 3/14/2024", "ACME-1042"),
    ("order 1042 from March 3 2024", "ACME-1042"),
    ("it was delivered on the 3rd 2024 but order 1042 is late", "ACME-1042"),
    ("order 1042, it shipped May 2024", "ACME-1042"),
    ("may I ask about 1042", "ACME-1042"),
    ("the 900th order", None),
    # Times.
    ("it's 10:42 and nothing came", None),
    ("at 10:42 AM", None),
    ("at 10:42 a.m.", None),
    ("it came at 10 am", None),
    ("ten forty two a m", None),
    ("ten forty two in the morning", None),
    ("at 10:42 p.m. order 1043 arrived", "ACME-1043"),
    # Quantities, addresses, cards and other numbers.
    ("I ordered 1500 units", None),
    ("2 things for order 1042", "ACME-1042"),
    ("I waited 1042 days", None),
    ("I live at 2140 Mission Street", None),
    ("order 1042 to 2140 Mission St", "ACME-1042"),
    ("card ending in 4242", None),
    ("the last four are 4242", None),
    ("my RMA is 1234", None),
    ("tracking 1234567", None),
    # Self-corrections take the corrected number; a denial drops the denied one.
    ("ACME 1042, no wait, 1043", "ACME-1043"),
    ("ACME-1042 no wait ACME-1043", "ACME-1043"),
    ("1042, sorry, I mean 1043", "ACME-1043"),
    ("one oh four two actually one oh four three", "ACME-1043"),
    ("1042, scratch that, 1044", "ACME-1044"),
    ("1042 wait 1043", "ACME-1043"),
    ("1042, make that 1045", "ACME-1045"),
    ("it's 1043, not 1042", "ACME-1043"),
    ("not 1042 but 1043", "ACME-1043"),
    ("sorry, my order is 1042", "ACME-1042"),
    ("order no. 1042", "ACME-1042"),
    # Letters for digits, both families, upper and lower case.
    ("ACME-l042", "ACME-1042"),
    ("ACME-1O42", "ACME-1042"),
    ("ACME-IO42", "ACME-1042"),
    ("ACME-1o4o", "ACME-1040"),
    ("ACMEl042", "ACME-1042"),
    ("order 1o42", "ACME-1042"),
    ("ACME-|042", "ACME-1042"),
    ("acme lO4Z", None),  # one digit: a word, not a number
]


@pytest.mark.parametrize(("text", "expected"), IN_CONTEXT)
def test_numbers_heard_in_context(text: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(InvalidOrderId):
            normalize_order_id(text)
    else:
        assert normalize_order_id(text) == expected


def test_context_table_covers_every_kind() -> None:
    assert len(IN_CONTEXT) >= 80
    assert len(SPOKEN) + len(IN_CONTEXT) >= 130


@pytest.mark.parametrize(
    "text",
    ["ACME-1042", "acme 1042", "order 1042", "#1042", "1042", "a c m e 1042", "1042 1042",
     "Please check order ACME-1042. Thank you.", "I paid $149.99 for order 1042",
     "My order number, typed on the keypad, is ACME-1042."],
)  # fmt: skip
def test_said_plainly_needs_no_read_back(text: str) -> None:
    assert hear_order_id(text).plain is True


@pytest.mark.parametrize(
    "text",
    ["one oh four two", "ten forty two", "1 0 4 2", "10 42", "1,042", "1-0-4-2", "ACME-1O42",
     "ACME-l042", "ACME 1042, no wait, 1043", "acme one thousand forty two"],
)  # fmt: skip
def test_rebuilt_from_speech_is_read_back(text: str) -> None:
    assert hear_order_id(text).plain is False


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
