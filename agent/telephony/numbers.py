"""Phone numbers as SIP carries them, made E.164; pure functions, no LiveKit import (settings
use them to validate the transfer target)."""

from __future__ import annotations

import re

MAX_RAW_CHARS = 64
_URI_SCHEMES = ("tel:", "sip:", "sips:")
_PUNCTUATION = re.compile(r"[\s\-.()/]")


def normalize_e164(raw: object) -> str | None:
    """Return a caller ID as E.164 ("+14155550142"), or None when it is missing or malformed.

    Accepts tel:/sip: URIs, spaces, dashes, dots and parentheses and a 00 international prefix;
    national numbers are taken as North American, as the support desk does
    ("(415) 555-0142" and "1 415 555 0142" -> "+14155550142").
    """
    if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_RAW_CHARS:
        return None
    text = raw.strip()
    for scheme in _URI_SCHEMES:
        if text.lower().startswith(scheme):
            text = text[len(scheme) :].split("@", 1)[0].split(";", 1)[0]
            break
    text = _PUNCTUATION.sub("", text)
    if text.startswith("00"):
        text = "+" + text[2:]
    international = text.startswith("+")
    digits = text[1:] if international else text
    if not (digits.isascii() and digits.isdigit()):
        return None
    if international:
        return "+" + digits if 8 <= len(digits) <= 15 and digits[0] != "0" else None
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    return "+1" + digits if len(digits) == 10 and digits[0] not in "01" else None


def transfer_uri(target: str) -> str:
    """The SIP transfer target for a configured one: "+1 510 555 0100" -> "tel:+15105550100".

    sip: URIs pass through; empty stays empty (no transfer). Raises ValueError otherwise.
    """
    target = target.strip()
    if not target or target.lower().startswith(("sip:", "sips:")):
        return target
    number = normalize_e164(target)
    if number is None:
        raise ValueError("expected a phone number, a tel: URI or a sip: URI")
    return "tel:" + number
