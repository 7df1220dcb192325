"""Turn order numbers as callers say or key them into the canonical "ACME-1042" form."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from tools.errors import AmbiguousOrderId, InvalidOrderId

MAX_TEXT_CHARS = 200
MIN_DIGITS = 4
MAX_DIGITS = 7
PREFIX = "ACME-"

_DIGIT_WORDS = {
    "zero": 0, "oh": 0, "o": 0, "nought": 0, "naught": 0, "one": 1, "two": 2, "three": 3,
    "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "niner": 9,
}  # fmt: skip
# Words a transcriber writes for a digit that are also ordinary English words.
_HOMOPHONES = {"for": 4, "fore": 4, "to": 2, "too": 2, "won": 1, "ate": 8}
# Tokens that open a run but may be an exclamation or a preposition ("oh, it's...", "for").
_EDGE_OPTIONAL = frozenset({*_HOMOPHONES, "oh", "o"})
_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_MULTIPLIERS = {"hundred": 100, "thousand": 1000}
_REPEATS = {"double": 2, "triple": 3}
_FILLERS = frozenset(
    {"um", "umm", "uh", "uhh", "er", "erm", "ah", "hmm", "mm", "dash", "hyphen", "minus"}
)
_PREFIX_WORDS = frozenset({"acme", "akme", "acmi", "acmee", "acne", "ackme", "hashtag"})

_NOT_WORD = re.compile(r"[^a-z0-9#]+")
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")
_DIGIT_GROUPS = re.compile(r"(?<=\d),(?=\d{3}\b)")


@dataclass(slots=True)
class _Run:
    tokens: list[str] = field(default_factory=list)
    after_prefix: bool = False


def normalize_order_id(text: str) -> str:
    """Return "ACME-<digits>" for a spoken or typed order number, or raise a SupportError.

    Raises InvalidOrderId when no 4-7 digit number is heard and AmbiguousOrderId when two
    different numbers are.
    """
    if not isinstance(text, str) or len(text) > MAX_TEXT_CHARS:
        raise InvalidOrderId()
    candidates: list[str] = []
    preferred: list[str] = []
    for run in _runs(_tokenize(text)):
        for digits in _run_candidates(run.tokens):
            candidates.append(digits)
            if run.after_prefix:
                preferred.append(digits)
    distinct = tuple(dict.fromkeys(preferred or candidates))
    if not distinct:
        raise InvalidOrderId()
    if len(distinct) > 1:
        raise AmbiguousOrderId(candidates=tuple(PREFIX + d for d in distinct))
    return PREFIX + distinct[0]


def normalize_digits(digits: str) -> str:
    """Return "ACME-<digits>" for keypad (DTMF) input such as "1042" or "1042#"."""
    if not isinstance(digits, str) or len(digits) > MAX_TEXT_CHARS:
        raise InvalidOrderId()
    keyed = "".join(digits.split()).rstrip("#")
    if not (keyed.isascii() and keyed.isdigit() and MIN_DIGITS <= len(keyed) <= MAX_DIGITS):
        raise InvalidOrderId()
    return PREFIX + keyed


def spoken_digits(text: str) -> str:
    """Return every digit said in ``text``, in order ("nine four one one oh" -> "94110")."""
    if not isinstance(text, str) or len(text) > MAX_TEXT_CHARS:
        return ""
    out: list[str] = []
    for run in _runs(_tokenize(text)):
        tokens = run.tokens
        while tokens and tokens[0] in _EDGE_OPTIONAL:
            tokens = tokens[1:]
        while tokens and tokens[-1] in _HOMOPHONES:
            tokens = tokens[:-1]
        out.extend(_phrases(tokens))
    return "".join(out)


def _tokenize(text: str) -> list[str]:
    cleaned = "".join(_ascii_digit(ch) for ch in unicodedata.normalize("NFKC", text).lower())
    cleaned = _DIGIT_GROUPS.sub("", cleaned).replace("'", "").replace("\u2019", "")
    cleaned = _LETTER_DIGIT.sub(" ", _NOT_WORD.sub(" ", cleaned))
    tokens = cleaned.replace("#", " # ").split()
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if tokens[i : i + 4] == ["a", "c", "m", "e"]:
            out.append("acme")
            i += 4
            continue
        out.append(tokens[i])
        i += 1
    return out


def _ascii_digit(ch: str) -> str:
    if ch.isdecimal() and not ch.isascii():
        return str(unicodedata.decimal(ch))
    return ch


def _is_number_token(tokens: list[str], i: int) -> bool:
    tok = tokens[i]
    if tok.isdigit() or tok in _DIGIT_WORDS or tok in _HOMOPHONES or tok in _TEENS:
        return True
    if tok in _TENS or tok in _MULTIPLIERS or tok in _REPEATS:
        return True
    nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
    return tok == "a" and nxt in _MULTIPLIERS


def _runs(tokens: list[str]) -> list[_Run]:
    """Split tokens into runs of consecutive number words (fillers do not break a run)."""
    runs: list[_Run] = []
    current = _Run()
    prefix_seen = False
    for i, tok in enumerate(tokens):
        if tok in _FILLERS:
            continue
        is_and_inside = (
            tok == "and"
            and current.tokens
            and current.tokens[-1] in _MULTIPLIERS
            and i + 1 < len(tokens)
            and _is_number_token(tokens, i + 1)
        )
        if is_and_inside:
            continue
        if _is_number_token(tokens, i):
            if not current.tokens:
                current.after_prefix = prefix_seen
            current.tokens.append(tok)
            continue
        if current.tokens:
            runs.append(current)
            current = _Run()
        prefix_seen = tok in _PREFIX_WORDS or tok == "#"
    if current.tokens:
        runs.append(current)
    return runs


def _run_candidates(tokens: list[str]) -> list[str]:
    """Return the order-number digit strings one run of number words can stand for."""
    lead = 0
    while lead < len(tokens) and tokens[lead] in _EDGE_OPTIONAL:
        lead += 1
    trail = len(tokens)
    while trail > lead and tokens[trail - 1] in _HOMOPHONES:
        trail -= 1
    core = tokens[lead:trail]
    attempts = [core, tokens[lead:], tokens[:trail], tokens] if core else [tokens]
    for attempt in attempts:
        phrases = _phrases(attempt)
        digits = "".join(phrases)
        if MIN_DIGITS <= len(digits) <= MAX_DIGITS:
            return [digits]
        if len(digits) > MAX_DIGITS:
            return [p for p in phrases if MIN_DIGITS <= len(p) <= MAX_DIGITS]
    return []


def _expand(tokens: list[str]) -> list[tuple[str, int, str]]:
    """Map tokens to (kind, value, text) items; kinds: d digit, s standalone digit, t teen,
    y tens, m multiplier, n numeral."""
    items: list[tuple[str, int, str]] = []
    repeat = 0
    for tok in tokens:
        if tok in _REPEATS:
            repeat = _REPEATS[tok]
            continue
        value = _DIGIT_WORDS.get(tok, _HOMOPHONES.get(tok))
        if value is None and tok.isdigit() and len(tok) == 1:
            value = int(tok)
        if repeat and value is not None:
            items.extend(("s", value, str(value)) for _ in range(repeat))
        elif value is not None:
            items.append(("d", value, str(value)))
        elif tok in _TEENS:
            items.append(("t", _TEENS[tok], tok))
        elif tok in _TENS:
            items.append(("y", _TENS[tok], tok))
        elif tok in _MULTIPLIERS:
            items.append(("m", _MULTIPLIERS[tok], tok))
        elif tok == "a":
            items.append(("d", 1, "1"))
        elif tok.isdigit():
            items.append(("n", int(tok), tok))
        repeat = 0
    return items


def _phrases(tokens: list[str]) -> list[str]:
    """Group number words into spoken numbers: "ten forty two" -> ["10", "42"]."""
    out: list[str] = []
    total = small = cap = 0
    is_open = has_hundred = False
    literal: str | None = None

    def flush() -> None:
        nonlocal total, small, cap, is_open, has_hundred, literal
        if is_open:
            out.append(literal if literal is not None else str(total + small))
        total = small = cap = 0
        is_open = has_hundred = False
        literal = None

    def start(value: int, new_cap: int, text: str | None = None) -> None:
        nonlocal small, cap, is_open, literal
        flush()
        small, cap, is_open, literal = value, new_cap, True, text

    for kind, value, text in _expand(tokens):
        fits = is_open and literal is None and 1 <= value < cap
        if kind == "s":
            start(value, 0)
            flush()
        elif kind == "n":
            if fits and not text.startswith("0"):
                small, cap = small + value, 0
            else:
                start(value, 0, text if text.startswith("0") or len(text) > 3 else None)
        elif kind == "d":
            if fits:
                small, cap = small + value, 0
            else:
                start(value, 0)
        elif kind == "t":
            if is_open and literal is None and cap >= 100 and small % 100 == 0:
                small, cap = small + value, 0
            else:
                start(value, 0)
        elif kind == "y":
            if is_open and literal is None and cap >= 100 and small % 100 == 0:
                small, cap = small + value, 10
            else:
                start(value, 10)
        elif value == 100:
            if is_open and literal is None and 0 < small < 100 and not has_hundred:
                small, cap, has_hundred = small * 100, 100, True
            else:
                start(100, 100)
                has_hundred = True
        elif is_open and literal is None and total == 0 and 0 < small < 1000:
            total, small, cap, has_hundred = small * 1000, 0, 1000, False
        else:
            start(0, 1000)
            total = 1000
    flush()
    return out
