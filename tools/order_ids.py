"""Turn order numbers as callers say or key them into the canonical "ACME-1042" form."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from tools.errors import AmbiguousOrderId, InvalidOrderId
from tools.number_context import (
    MASK,
    after_says_otherwise,
    before_says_otherwise,
    correction_ends,
    mask_shapes,
)
from tools.spoken_numbers import EDGE_OPTIONAL, HOMOPHONES, is_number_token, phrases

MAX_TEXT_CHARS = 200
MIN_DIGITS = 4
MAX_DIGITS = 7
PREFIX = "ACME-"

_FILLERS = frozenset(
    {"um", "umm", "uh", "uhh", "er", "erm", "ah", "hmm", "mm", "dash", "hyphen", "minus"}
)
_PREFIX_WORDS = frozenset({"acme", "akme", "acmi", "acmee", "acne", "ackme", "hashtag"})
# Letters a transcriber or a typist puts for a digit: O for 0, l and I for 1.
_LOOK_ALIKES = str.maketrans({"o": "0", "l": "1", "i": "1", "|": "1"})
_LOOK_ALIKE_NUMBER = re.compile(r"(?<![a-z0-9])(acme-?)?([0-9oli|]{4,7})(?![a-z0-9])")
_DIGIT_GROUPS = re.compile(r"(?<![\d,])\d{1,3}(?:,\d{3})+(?![\d,])")
_TOKEN = re.compile(rf"[a-z]+|\d+|#|{MASK}")


@dataclass(frozen=True, slots=True)
class HeardOrderId:
    """An order number and how it was heard: `plain` when said or typed as one run of digits
    ("ACME-1042", "order 1042"), False when rebuilt from words, look-alike letters, digit groups
    or a self-correction, which the caller should hear read back before anything else."""

    order_id: str
    plain: bool


@dataclass(slots=True)
class _Run:
    tokens: list[str] = field(default_factory=list)
    start: int = 0
    after_prefix: bool = False


@dataclass(frozen=True, slots=True)
class _Mention:
    digits: str
    position: int
    preferred: bool
    plain: bool


def hear_order_id(text: str) -> HeardOrderId:
    """The one order number in a caller's words, or a SupportError.

    Raises InvalidOrderId when no 4-7 digit order number is heard (phone numbers, ZIP codes,
    prices, dates, times, years and quantities never count) and AmbiguousOrderId when two
    different ones are, unless the caller corrected themselves ("1042, no wait, 1043").
    """
    if not isinstance(text, str) or len(text) > MAX_TEXT_CHARS:
        raise InvalidOrderId()
    tokens, rebuilt = _tokens(text, in_context=True)
    mentions = _mentions(tokens, rebuilt)
    corrected = False
    ends = correction_ends(tokens)
    if mentions and ends:
        cut = ends[-1]
        if mentions[0].position < cut and any(m.position >= cut for m in mentions):
            mentions, corrected = [m for m in mentions if m.position >= cut], True
    chosen = [m for m in mentions if m.preferred] or mentions
    distinct = tuple(dict.fromkeys(m.digits for m in chosen))
    if not distinct:
        raise InvalidOrderId()
    if len(distinct) > 1:
        raise AmbiguousOrderId(candidates=tuple(PREFIX + d for d in distinct))
    plain = not corrected and any(m.plain for m in chosen)
    return HeardOrderId(order_id=PREFIX + distinct[0], plain=plain)


def normalize_order_id(text: str) -> str:
    """Return "ACME-<digits>" for a spoken or typed order number, or raise a SupportError."""
    return hear_order_id(text).order_id


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
    for run in _runs(_tokens(text, in_context=False)[0]):
        tokens = run.tokens
        while tokens and tokens[0] in EDGE_OPTIONAL:
            tokens = tokens[1:]
        while tokens and tokens[-1] in HOMOPHONES:
            tokens = tokens[:-1]
        out.extend(phrases(tokens))
    return "".join(out)


def _tokens(text: str, *, in_context: bool) -> tuple[list[str], set[str]]:
    """Lower-case word and digit tokens, and the numerals rebuilt from look-alikes or groups.

    `in_context`: for order numbers, read look-alike letters as digits and mask numbers that
    are something else (tools/number_context.py).
    """
    cleaned = "".join(_ascii_digit(ch) for ch in unicodedata.normalize("NFKC", text).lower())
    cleaned = cleaned.replace("'", "").replace("\u2019", "")
    rebuilt: set[str] = set()

    def look_alike(m: re.Match[str]) -> str:
        body = m[2].translate(_LOOK_ALIKES)
        if body == m[2] or sum(ch.isdigit() for ch in m[2]) < 2:
            return m[0]
        rebuilt.add(body)
        return f"{m[1] or ''} {body}"

    def grouped(m: re.Match[str]) -> str:
        body = m[0].replace(",", "")
        rebuilt.add(body)
        return body

    if in_context:  # answers (ZIP codes, phone numbers) must be said exactly
        cleaned = mask_shapes(_LOOK_ALIKE_NUMBER.sub(look_alike, cleaned))
    cleaned = _DIGIT_GROUPS.sub(grouped, cleaned)
    tokens: list[str] = []
    for tok in _TOKEN.findall(cleaned):
        if tok == "e" and tokens[-3:] == ["a", "c", "m"]:
            tokens[-3:] = ["acme"]
        else:
            tokens.append(tok)
    return tokens, rebuilt


def _ascii_digit(ch: str) -> str:
    if ch.isdecimal() and not ch.isascii():
        return str(unicodedata.decimal(ch))
    return ch


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
            and current.tokens[-1] in ("hundred", "thousand")
            and i + 1 < len(tokens)
            and is_number_token(tokens, i + 1)
        )
        if is_and_inside:
            continue
        if is_number_token(tokens, i):
            if not current.tokens:
                current.start, current.after_prefix = i, prefix_seen
            current.tokens.append(tok)
            continue
        if current.tokens:
            runs.append(current)
            current = _Run()
        prefix_seen = tok in _PREFIX_WORDS or tok == "#"
    if current.tokens:
        runs.append(current)
    return runs


def _mentions(tokens: list[str], rebuilt: set[str]) -> list[_Mention]:
    """Every order number the runs can stand for, with the runs other words explain away."""
    mentions = []
    for run in _runs(tokens):
        end = run.start + len(run.tokens)
        before = tokens[max(0, run.start - 3) : run.start]
        if "order" in before:
            before = before[len(before) - before[::-1].index("order") :]
        after = tokens[end : end + 3]
        negated = before[-1:] == ["not"] or (before[-2:-1] == ["not"] and run.after_prefix)
        candidates = _run_candidates(run.tokens)
        soft = not run.after_prefix  # "ACME" or "#" before a number outweighs the words around it
        for n, digits in enumerate(candidates):
            if n == 0 and (negated or (soft and before_says_otherwise(before, digits))):
                continue
            if n == len(candidates) - 1 and soft and after_says_otherwise(after):
                continue
            plain = digits in run.tokens and digits not in rebuilt
            mentions.append(_Mention(digits, run.start, run.after_prefix, plain))
    return mentions


def _run_candidates(tokens: list[str]) -> list[str]:
    """Return the order-number digit strings one run of number words can stand for."""
    lead = 0
    while lead < len(tokens) and tokens[lead] in EDGE_OPTIONAL:
        lead += 1
    trail = len(tokens)
    while trail > lead and tokens[trail - 1] in HOMOPHONES:
        trail -= 1
    core = tokens[lead:trail]
    attempts = [core, tokens[lead:], tokens[:trail], tokens] if core else [tokens]
    for attempt in attempts:
        spoken = phrases(attempt)
        digits = "".join(spoken)
        if MIN_DIGITS <= len(digits) <= MAX_DIGITS:
            return [digits]
        if len(digits) == 10 or (len(digits) == 11 and digits[0] == "1"):
            return []  # a phone number said digit by digit
        if len(digits) > MAX_DIGITS:
            return [p for p in spoken if MIN_DIGITS <= len(p) <= MAX_DIGITS]
    return []
