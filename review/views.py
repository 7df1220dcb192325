"""What the pages show, computed from stored calls: filters, the chat, the chart's data."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tools.call_records import (
    IN_PROGRESS,
    OUTCOMES,
    CallDetail,
    CallQuery,
    Entry,
    SecurityEvent,
    utc,
)

PAGE_SIZE = 50
REPLY_GUARD = "reply_guard"
"""The event kind the reply guard records when a caller's turn went unanswered."""
_DIGITS = re.compile(r"^(?:acme)?[-\s]?(\d{4,7})$", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class Filters:
    """The call list's filters as typed, the query they make, and what was wrong with them."""

    order: str = ""
    day: str = ""
    outcome: str = ""
    page: int = 1
    errors: tuple[str, ...] = ()
    query: CallQuery = field(default_factory=CallQuery)

    @classmethod
    def parse(cls, params: dict[str, str]) -> Filters:
        order, day, outcome = (params.get(k, "").strip() for k in ("order", "date", "outcome"))
        page = int(params["page"]) if params.get("page", "").isdigit() else 1
        errors: list[str] = []
        order_id = None
        if order:
            match = _DIGITS.match(order)
            if match:
                order_id = f"ACME-{match[1]}"
            else:
                errors.append("Order numbers look like ACME-1042 (or just 1042).")
        parsed_day: date | None = None
        if day:
            try:
                parsed_day = date.fromisoformat(day)
            except ValueError:
                errors.append("Dates look like 2026-01-31.")
        if outcome and outcome not in (*OUTCOMES, IN_PROGRESS):
            errors.append("Choose an outcome from the list.")
            outcome = ""
        query = CallQuery(
            order_id=order_id,
            day=parsed_day,
            outcome=outcome or None,
            limit=PAGE_SIZE + 1,  # one more tells whether there is a next page
            offset=(max(page, 1) - 1) * PAGE_SIZE,
        )
        return cls(order=order, day=day, outcome=outcome, page=max(page, 1),
                   errors=tuple(errors), query=query)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class ChatItem:
    """One bubble or tool card of the conversation, or a line for something the agent did on
    its own (`entry` None, `note` saying what), `at` seconds into the call."""

    entry: Entry | None
    at: float
    event: SecurityEvent | None = None
    note: str = ""

    @property
    def arguments(self) -> str:
        """Tool arguments as `name=value` pairs when they are a JSON object."""
        raw = self.entry.arguments if self.entry is not None else None
        try:
            parsed = json.loads(raw or "")
        except ValueError:
            return raw or ""
        if isinstance(parsed, dict):
            return ", ".join(f"{k}={v}" for k, v in parsed.items())
        return str(parsed)


def chat(detail: CallDetail) -> list[ChatItem]:
    """The conversation in the order things happened: entries, with the security event of a
    tool call on its card, and the call's other events between them by time."""
    start = detail.call.started_at
    tied = {e.seq: e for e in detail.events if e.tool}
    happened = sorted(
        [(e.spoken_at, e.seq, e) for e in detail.entries]
        + [(e.at, e.seq, e) for e in detail.events if not e.tool],
        key=lambda t: (t[0], t[1]),
    )
    items: list[ChatItem] = []
    turn_ended: datetime | None = None  # the caller's last words, while no answer followed
    for at, _, thing in happened:
        offset_s = (at - start).total_seconds()
        if isinstance(thing, Entry):
            items.append(ChatItem(entry=thing, at=offset_s, event=tied.get(thing.seq)))
            if thing.kind == "message" and thing.role == "user":
                stopped = thing.metrics.get("stopped_speaking_at")
                turn_ended = None if stopped is None else utc(stopped)
            elif thing.kind == "message" and thing.role == "assistant":
                turn_ended = None
        else:
            waited = None if turn_ended is None else (at - turn_ended).total_seconds()
            items.append(ChatItem(entry=None, at=offset_s, event=thing, note=note(thing, waited)))
    return items


def note(event: SecurityEvent, waited_s: float | None) -> str:
    """What a call-level event says to a supervisor; `waited_s` since the caller's last words."""
    if event.kind != REPLY_GUARD:
        return event.detail
    after = f"No reply after {waited_s:.0f} s" if waited_s is not None else "No reply heard"
    if "apologi" in event.detail:
        return f"{after}: apologised and asked the caller to repeat"
    return f"{after}: asked the model again"


def chart_data(detail: CallDetail) -> dict[str, Any]:
    """Per-turn latency (end of caller speech to first agent audio) and the state timeline,
    in seconds from the start of the call."""
    start = detail.call.started_at.timestamp()
    turns = detail.summary.get("turns")
    if not isinstance(turns, list):  # a call still going: from its answers so far
        answers = [
            e for e in detail.entries if e.role == "assistant" and "e2e_latency" in e.metrics
        ]
        turns = [
            {"n": i, "at": e.spoken_at.timestamp(), "latency": e.metrics["e2e_latency"]}
            for i, e in enumerate(answers, start=1)
        ]
    ended = detail.call.ended_at
    end = ended.timestamp() if ended is not None else max([start, *(t["at"] for t in turns)])
    return {
        "turns": [
            {"label": f"Turn {t['n']}", "at": round(t["at"] - start, 2), "latency": t["latency"]}
            for t in turns
        ],
        "timeline": _timeline(detail.summary.get("states") or [], start=start, end=end),
        "duration": round(end - start, 2),
    }


def _timeline(states: list[Any], *, start: float, end: float) -> list[dict[str, Any]]:
    """(time, party, state) changes as bars: each state lasts until the party's next one."""
    spans: list[dict[str, Any]] = []
    open_span: dict[str, dict[str, Any]] = {}
    for at, party, state in states:
        t = round(float(at) - start, 2)
        if party in open_span:
            open_span[party]["to"] = t
        span = {"party": str(party), "state": str(state), "from": t, "to": round(end - start, 2)}
        spans.append(span)
        open_span[party] = span
    return [s for s in spans if s["to"] > s["from"]]


def clock(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def offset(seconds: float) -> str:
    minutes, secs = divmod(max(0, int(seconds)), 60)
    return f"{minutes}:{secs:02d}"
