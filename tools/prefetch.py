"""An order the caller named, looked up before the model asks, so it can answer in one go.

The same lookup as the `lookup_order` tool (SupportDesk.order_status), with the same rules:
anyone with the order number may hear its status, and nothing personal is in it.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.errors import SupportError
from tools.order_ids import hear_order_id
from tools.support import SupportDesk
from tools.verification import CallerVerification


@dataclass(frozen=True, slots=True, kw_only=True)
class PrefetchedStatus:
    """What `lookup_order(order_id=...)` answers for the order the caller named."""

    order_id: str
    answer: str


async def prefetch_status(
    desk: SupportDesk, call: CallerVerification, words: str
) -> PrefetchedStatus | None:
    """`lookup_order`'s answer for the one order number in the caller's words, or None.

    Only a number heard as an order number in context (never a phone number, ZIP code, price,
    date or time: tools/number_context.py) and said plainly ("ACME-1042", "order 1042") or
    confirmed earlier in the call. A number rebuilt from speech must be read back first, which
    the model does through its tool, so nothing about it may reach the model before; the
    read-back state is left as it was. Two numbers, an unknown one, or any refusal: None, and
    the model asks through its tool as before.
    """
    try:
        heard = hear_order_id(words)
    except SupportError:
        return None
    if not heard.plain and heard.order_id not in call.read_back.confirmed:
        return None
    try:
        answer = await desk.order_status(call, heard.order_id)
    except SupportError:
        return None
    return PrefetchedStatus(order_id=heard.order_id, answer=answer)
