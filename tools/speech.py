"""Small formatters that make store data sound natural when a voice agent reads it aloud."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from tools.models import Order, OrderItem, OrderStatus

STATUS_PHRASES: dict[OrderStatus, str] = {
    "processing": "is being processed",
    "shipped": "has shipped",
    "out_for_delivery": "is out for delivery",
    "delivered": "was delivered",
    "cancelled": "was cancelled",
}
RETURN_STATUS_PHRASES = {
    "requested": "waiting for the item to come back",
    "received": "received at our warehouse",
    "refunded": "refunded",
}


def money(cents: int) -> str:
    """1499 -> "$14.99"."""
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}${dollars:,}.{rest:02d}"


def spoken_date(day: date, *, today: date) -> str:
    """ "Tuesday, November 24", with "today"/"tomorrow"/"yesterday" first and the year if needed."""
    text = f"{day:%A}, {day:%B} {day.day}"
    if day.year != today.year:
        text += f", {day.year}"
    delta = (day - today).days
    relative = {0: "today", 1: "tomorrow", -1: "yesterday"}.get(delta)
    return f"{relative}, {text}" if relative else text


def when(day: date, *, today: date) -> str:
    """A date as an adverbial: "on Sunday, March 8", "today, Tuesday, March 10"."""
    text = spoken_date(day, today=today)
    return text if abs((day - today).days) <= 1 else f"on {text}"


def join_words(parts: Sequence[str]) -> str:
    """["a"] -> "a"; ["a", "b"] -> "a and b"; ["a", "b", "c"] -> "a, b, and c"."""
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        return f"{parts[0]} and {parts[1]}"
    return ", ".join(parts[:-1]) + f", and {parts[-1]}"


def item_phrase(item: OrderItem) -> str:
    if item.quantity == 1:
        return f"the {item.product_name}"
    return f"{item.quantity} of the {item.product_name}"


def items_summary(items: Sequence[OrderItem], *, max_items: int = 3) -> str:
    """Name up to ``max_items`` items and count the rest."""
    if not items:
        return "no items"
    shown = [item_phrase(i) for i in items[:max_items]]
    hidden = len(items) - len(shown)
    if hidden:
        shown.append(f"{hidden} more item{'s' if hidden > 1 else ''}")
    return join_words(shown)


def open_orders(orders: Sequence[Order], *, today: date, max_orders: int = 5) -> str:
    """ "2 open orders: ACME-1045 is being processed, and ACME-1042 has shipped and is expected
    on Thursday, March 12"."""
    parts = []
    for o in orders[:max_orders]:
        text = f"{o.order_id} {STATUS_PHRASES[o.status]}"
        if o.estimated_delivery is not None and o.status != "processing":
            text += f" and is expected {when(o.estimated_delivery, today=today)}"
        parts.append(text)
    count = "one open order" if len(parts) == 1 else f"{len(parts)} open orders"
    return f"{count}: {join_words(parts)}"


def spoken_phone(e164: str) -> str:
    """ "+14155550142" -> "(415) 555-0142"; other numbers are returned unchanged."""
    digits = e164.removeprefix("+1")
    if e164.startswith("+1") and len(digits) == 10 and digits.isdigit():
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return e164


def first_name(full_name: str) -> str:
    parts = full_name.split()
    return parts[0] if parts else full_name
