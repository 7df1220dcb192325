"""What counts as a failed turn, an error and a lost transcript record in the load bench."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_RECOVERABLE = re.compile(r"recoverable=(True|False)")


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100); NaN for no values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def turn_problem(turn: dict[str, Any], *, heard: str) -> str | None:
    """Why a completed turn (a TurnResult as a dict) does not count as answered, or None."""
    if turn.get("user_texts") != [heard]:
        return f"heard {turn.get('user_texts')!r}, expected {[heard]!r}"
    if not turn.get("assistant"):
        return "no answer message"
    if turn.get("latency_s") is None:
        return "no answer audio"
    return None


def split_session_errors(errors: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """(unrecoverable, recoverable) session error events; unmarked ones count as unrecoverable."""
    fatal = recoverable = 0
    for error in errors:
        found = _RECOVERABLE.search(str(error.get("error", "")))
        if found is not None and found.group(1) == "True":
            recoverable += 1
        else:
            fatal += 1
    return fatal, recoverable


RecordKey = tuple[str, str, str]
"""("message", role, text) or ("tool_call", name, "")."""


@dataclass(frozen=True, kw_only=True)
class TranscriptCheck:
    """The call's transcript file against what its completed turns observed."""

    expected: int
    lost: int
    unparsable: int
    missing: tuple[RecordKey, ...]


def expected_records(turns: Iterable[dict[str, Any]]) -> Counter[RecordKey]:
    """Every user message, tool call and assistant message the completed turns observed."""
    expected: Counter[RecordKey] = Counter()
    for turn in turns:
        for text in turn.get("user_texts", []):
            expected["message", "user", text] += 1
        for call in turn.get("tool_calls", []):
            expected["tool_call", str(call.get("name")), ""] += 1
        for message in turn.get("assistant", []):
            expected["message", "assistant", message.get("text", "")] += 1
    return expected


def check_transcript(
    path: Path | None, turns: Sequence[dict[str, Any]], *, greeted: bool
) -> TranscriptCheck:
    """Lost records: expected ones absent from the file, plus lines that do not parse.

    With `greeted`, an assistant record must also come before the first user record.
    """
    expected = expected_records(turns)
    lines: list[str] = []
    if path is not None and path.exists():
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    found: Counter[RecordKey] = Counter()
    unparsable = 0
    greeting_found = False
    seen_user = False
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            unparsable += 1
            continue
        if not isinstance(record, dict):
            unparsable += 1
            continue
        if record.get("type") == "tool_call":
            found["tool_call", str(record.get("name")), ""] += 1
        elif record.get("type") == "message":
            role = str(record.get("role"))
            found["message", role, str(record.get("text", ""))] += 1
            seen_user = seen_user or role == "user"
            greeting_found = greeting_found or (role == "assistant" and not seen_user)
    missing = expected - found
    lost = sum(missing.values()) + unparsable
    total = sum(expected.values())
    if greeted:
        total += 1
        if not greeting_found:
            lost += 1
            missing["message", "assistant", "<greeting>"] += 1
    return TranscriptCheck(
        expected=total, lost=lost, unparsable=unparsable, missing=tuple(missing.elements())
    )
