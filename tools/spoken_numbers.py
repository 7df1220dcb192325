"""Spoken numbers as transcribers write them: digit words, teens, tens, hundreds, "double"."""

from __future__ import annotations

DIGIT_WORDS = {
    "zero": 0, "oh": 0, "o": 0, "nought": 0, "naught": 0, "one": 1, "two": 2, "three": 3,
    "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "niner": 9,
}  # fmt: skip
# Words a transcriber writes for a digit that are also ordinary English words.
HOMOPHONES = {"for": 4, "fore": 4, "to": 2, "too": 2, "won": 1, "ate": 8}
# Tokens that open a run but may be an exclamation or a preposition ("oh, it's...", "for").
EDGE_OPTIONAL = frozenset({*HOMOPHONES, "oh", "o"})
TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
MULTIPLIERS = {"hundred": 100, "thousand": 1000}
REPEATS = {"double": 2, "triple": 3}


def is_number_token(tokens: list[str], i: int) -> bool:
    """Whether tokens[i] is part of a spoken or written number ("a" only before "hundred")."""
    tok = tokens[i]
    if tok.isdigit() or tok in DIGIT_WORDS or tok in HOMOPHONES or tok in TEENS:
        return True
    if tok in TENS or tok in MULTIPLIERS or tok in REPEATS:
        return True
    nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
    return tok == "a" and nxt in MULTIPLIERS


def expand(tokens: list[str]) -> list[tuple[str, int, str]]:
    """Map tokens to (kind, value, text) items; kinds: d digit, s standalone digit, t teen,
    y tens, m multiplier, n numeral."""
    items: list[tuple[str, int, str]] = []
    repeat = 0
    for tok in tokens:
        if tok in REPEATS:
            repeat = REPEATS[tok]
            continue
        value = DIGIT_WORDS.get(tok, HOMOPHONES.get(tok))
        if value is None and tok.isdigit() and len(tok) == 1:
            value = int(tok)
        if repeat and value is not None:
            items.extend(("s", value, str(value)) for _ in range(repeat))
        elif value is not None:
            items.append(("d", value, str(value)))
        elif tok in TEENS:
            items.append(("t", TEENS[tok], tok))
        elif tok in TENS:
            items.append(("y", TENS[tok], tok))
        elif tok in MULTIPLIERS:
            items.append(("m", MULTIPLIERS[tok], tok))
        elif tok == "a":
            items.append(("d", 1, "1"))
        elif tok.isdigit():
            items.append(("n", int(tok), tok))
        repeat = 0
    return items


def phrases(tokens: list[str]) -> list[str]:
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

    for kind, value, text in expand(tokens):
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
