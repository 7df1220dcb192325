"""Argument checks for the support desk: what a caller or model says is cleaned or refused."""

from __future__ import annotations

import re
import unicodedata

from tools.errors import InvalidInput
from tools.order_ids import spoken_digits

MAX_INPUT_CHARS = 200
MAX_EMAIL_CHARS = 254
_EMAIL = re.compile(
    r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)+$"
)
_SPOKEN_AT = re.compile(r"\s+at\s+")
_SPOKEN_DOT = re.compile(r"\s+dot\s+")


def clean_text(value: object, *, what: str, max_chars: int = MAX_INPUT_CHARS) -> str:
    """Return the text with control characters removed and spaces collapsed, or InvalidInput."""
    if not isinstance(value, str) or len(value) > max_chars * 4:
        raise InvalidInput(what=what)
    text = unicodedata.normalize("NFKC", value)
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    text = " ".join(text.split())
    if not text or len(text) > max_chars:
        raise InvalidInput(what=what)
    return text


def parse_email(value: object) -> str:
    """Return a lower-case address; "jordan dot rivera at example dot com" is accepted too."""
    text = clean_text(value, what="email address", max_chars=MAX_EMAIL_CHARS).lower()
    if "@" not in text:
        text = _SPOKEN_AT.sub("@", text)
    text = _SPOKEN_DOT.sub(".", text).replace(" ", "")
    if not _EMAIL.match(text) or len(text) > MAX_EMAIL_CHARS:
        raise InvalidInput(what="email address")
    return text


def parse_phone(value: object) -> str:
    """Return an E.164 number; ten-digit numbers are taken as US numbers."""
    text = clean_text(value, what="phone number", max_chars=120)
    digits = spoken_digits(text)
    if len(digits) == 10:
        return "+1" + digits
    if len(digits) == 11 and digits.startswith("1"):
        return "+" + digits
    if text.startswith("+") and 8 <= len(digits) <= 15:
        return "+" + digits
    raise InvalidInput(what="phone number")


def parse_zip(value: object) -> str:
    """Return the five-digit ZIP code ("94110-1234" and "nine four one one oh" both work)."""
    digits = spoken_digits(clean_text(value, what="ZIP code", max_chars=80))
    if len(digits) not in (5, 9):
        raise InvalidInput(what="ZIP code")
    return digits[:5]


def parse_customer_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise InvalidInput(what="customer number")
    return value
