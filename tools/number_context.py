"""Numbers a caller says that are not order numbers: phones, ZIP codes, prices, dates, times.

Two layers. Shapes a transcriber writes (Deepgram smart_format and numerals, OpenAI
transcription: "(415) 555-0142", "$149.99", "10:42 AM", "March 5, 2024", "3/14/2024", "5th",
"94110-2301") are masked in the text before it is split into words. Spoken forms ("my zip is nine
four one one oh", "in twenty twenty four", "ten forty two a m") are judged by the words around
each run of number words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MASK = "~"  # stands in for a masked number; breaks runs of number words

_MONTH = (
    r"(?:january|jan|february|feb|march|mar|april|apr|may|june|jun|july|jul|august|aug|"
    r"september|sept|sep|october|oct|november|nov|december|dec)\b\.?"
)
_YEAR = r"(?:19|20)\d{2}"
_ORD = r"(?:st|nd|rd|th)"
_MM = r"(?:0?[1-9]|1[0-2])"
_DD = r"(?:0?[1-9]|[12]\d|3[01])"
_SHAPES = re.compile(
    "|".join(
        (
            # Phone numbers: North American in any punctuation, E.164, local seven digits.
            r"(?<![\w#-])(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?![\w-])",
            r"\+\d{1,3}(?:[\s.-]?\d{2,4}){2,5}(?![\w-])",
            r"(?<![\w-])\d{3}[-.]\d{4}(?![\w-])",
            # ZIP+4.
            r"(?<![\w-])\d{5}-\d{4}(?![\w-])",
            # Money, decimals and percentages.
            r"[$\u20ac\u00a3]\s?\d[\d,]*(?:\.\d+)?",
            r"\d[\d,]*(?:\.\d+)?\s?(?:dollars?|bucks|cents?|usd|euros?)\b",
            r"\d[\d,]*\.\d+",
            r"\d+\s?(?:%|percent\b)",
            # Times: 10:42, 10:42 a.m., 10am.
            r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\s?[ap]\.?\s?m\b\.?)?",
            r"\b\d{1,2}\s?[ap]\.?\s?m\b\.?",
            # Dates: 3/14/2024, 2024-03-14, 03-14-2024, March 5th, 2024, March 2024, 5th of March.
            rf"\b{_MM}/{_DD}(?:/(?:\d{{4}}|\d{{2}}))?\b",
            r"\b(?:19|20)\d{2}-\d{1,2}-\d{1,2}\b",
            rf"\b{_MM}-{_DD}-(?:\d{{4}}|\d{{2}})\b",
            rf"\b{_MONTH}\s+\d{{1,2}}{_ORD}?\b(?:,?\s+{_YEAR}\b)?",
            rf"\b{_MONTH},?\s+{_YEAR}\b",
            rf"\b\d{{1,2}}{_ORD}?\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR}\b)?",
            # Any other ordinal: "the 3rd", "900th".
            rf"\b\d+{_ORD}\b",
        )
    )
)

_MONTHS = frozenset(
    "january jan february feb march mar april apr may june jun july jul august aug september "
    "sept sep october oct november nov december dec".split()
)
_MONTHS_SAFE = _MONTHS - {"may"}  # "may" is also a verb: it counts only right before a number
_WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
_ORDINAL_WORDS = frozenset(
    "first third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth "
    "thirtieth".split()
)
_ZIP = frozenset({"zip", "zipcode", "postal", "postcode"})
_PHONE = frozenset({"phone", "cell", "mobile", "telephone", "tel", "callback", "fax", "ext"})
_MY_NUMBER = frozenset({"my", "phone", "cell", "contact", "callback", "home", "work", "mobile"})
_MONEY_BEFORE = frozenset(
    {"paid", "pay", "cost", "costs", "spent", "charged", "price", "priced", "owe", "refund"}
)
_MONEY_AFTER = frozenset({"dollars", "dollar", "bucks", "cents", "cent", "usd", "euros"})
_TIME_AFTER = frozenset({"am", "pm", "oclock", "hours"})
_YEAR_BEFORE = frozenset({"in", "since", "year", "until", "till", "back", "from"})
_CARD = frozenset({"card", "visa", "mastercard", "amex", "ending", "debit", "credit"})
_OTHER_IDS = frozenset({"rma", "tracking", "extension", "apt", "apartment", "suite", "unit"})
_UNITS = frozenset(
    "item items thing things unit units piece pieces pcs box boxes pair pairs pack packs times "
    "day days week weeks month months year years hour hours minute minutes people copies "
    "orders percent miles pounds lbs".split()
)
_STREETS = frozenset(
    "street st avenue ave road rd boulevard blvd lane ln drive dr way court ct place pl terrace "
    "parkway pkwy highway hwy".split()
)
_NOT_ORDER_AFTER = _TIME_AFTER | _UNITS | _STREETS | _MONTHS_SAFE | _MONEY_AFTER
_STOP = frozenset({"on", "at", "to", "for", "from", "in", "and", "or", "but", "is", "was"})

# Self-corrections: what follows the last of these replaces what came before it.
CORRECTIONS: tuple[tuple[str, ...], ...] = (
    ("no", "wait"), ("wait",), ("sorry",), ("i", "mean"), ("i", "meant"), ("actually",),
    ("scratch", "that"), ("correction",), ("rather",), ("make", "that"), ("oops",), ("no",),
)  # fmt: skip


def mask_shapes(text: str) -> str:
    """Replace phone numbers, prices, times, dates and the like with MASK (lower-case text)."""
    return _SHAPES.sub(f" {MASK} ", text)


def before_says_otherwise(before: Sequence[str], digits: str) -> bool:
    """Whether the words before a run of number words say it is not an order number.

    `before` holds up to three tokens (none before a spoken "order").
    """
    words, last = set(before), (before[-1] if before else "")
    if words & (_ZIP | _PHONE | _CARD | _OTHER_IDS) or _bigram(before, ("last", "four")):
        return True
    if len(digits) >= 7 and any(_bigram(before, (w, "number")) for w in _MY_NUMBER):
        return True
    if last in _MONEY_BEFORE or _MONTHS_SAFE & set(before[-2:]):
        return True
    if last in ("may", *_WEEKDAYS, *_ORDINAL_WORDS):
        return True
    year_like = len(digits) == 4 and digits[:2] in ("19", "20")
    return year_like and (last in _YEAR_BEFORE or last == MASK)


def _bigram(tokens: Sequence[str], pair: tuple[str, str]) -> bool:
    return any(tuple(tokens[i : i + 2]) == pair for i in range(len(tokens) - 1))


def after_says_otherwise(after: Sequence[str]) -> bool:
    """Whether up to three tokens after a run of number words say it is not an order number."""
    first = after[0] if after else ""
    if first in _NOT_ORDER_AFTER:
        return True
    if tuple(after[:2]) in (("a", "m"), ("p", "m")) or tuple(after[:2]) == ("o", "clock"):
        return True
    if tuple(after[:2]) == ("in", "the") and len(after) > 2:
        return after[2] in ("morning", "afternoon", "evening")
    second = after[1] if len(after) > 1 else ""
    return second in _STREETS and first not in _STOP and not first.isdigit()


def correction_ends(tokens: Sequence[str]) -> list[int]:
    """Indexes just after each self-correction marker ("no wait", "I mean", "actually")."""
    ends = []
    for i in range(len(tokens)):
        for marker in CORRECTIONS:
            if tuple(tokens[i : i + len(marker)]) != marker:
                continue
            if marker == ("no",) and i > 0 and tokens[i - 1] in ("order", "number"):
                continue  # "order no. 1042"
            ends.append(i + len(marker))
            break
    return ends
