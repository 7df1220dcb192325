"""Look up the order a caller just named before the model asks, saving the tool's round trip.

A voice question about an order ("Please check order ACME-1042") otherwise costs two model
calls: one to ask for `lookup_order`, one to answer from its result. The lookup runs as the
reply is generated, including the framework's preemptive generation on the caller's final
transcript, and its result goes into that reply's chat context as the `lookup_order` call
and output the model would have asked for, so the model answers in one call.

Why in `llm_node` and not `on_user_turn_completed`: in 1.8.9 a change to the chat context in
`on_user_turn_completed` invalidates the preemptive generation (agent_activity.py,
`_user_turn_completed_impl`), so the reply would start again at the end of the turn and give
back the time saved. Edits made in `llm_node` stay with that generation, and any tool reply
that follows it.

The lookup holds the reply back, so it gets at most `TIMEOUT_S`: a store that answers later
(a struggling database) is left to the model's own `lookup_order` call, which the slow-tool
filler covers, rather than keeping the caller in silence for as long as the store takes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from livekit.agents import llm, utils

from tools.prefetch import PrefetchedStatus, prefetch_status
from tools.support import SupportDesk
from tools.verification import CallerVerification

logger = logging.getLogger("acme.agent")

TOOL = "lookup_order"
TIMEOUT_S = 0.3
"""How long a reply waits for the prefetch (a healthy store answers in about a millisecond)."""

RecordLookup = Callable[[llm.FunctionCall, llm.FunctionCallOutput], None]
"""Writes a prefetched lookup to the call's records, as the tool's own calls are written."""


class OrderPrefetch:
    """One per call: prefetches for the caller's spoken turns, each turn's lookup recorded once."""

    def __init__(self, *, record: RecordLookup | None = None) -> None:
        self._record = record
        self._recorded: tuple[str, float] | None = None  # (order id, when), the last recorded

    async def add_to(
        self, chat_ctx: llm.ChatContext, *, desk: SupportDesk, call: CallerVerification
    ) -> PrefetchedStatus | None:
        """If the context ends with the caller's spoken words naming an order, append the
        `lookup_order` call and its output to it. Typed or generated turns are left alone
        (only a spoken turn carries a transcript confidence), and so is any failure."""
        last = chat_ctx.items[-1] if chat_ctx.items else None
        if not isinstance(last, llm.ChatMessage) or last.role != "user":
            return None
        words = last.text_content
        if last.transcript_confidence is None or not words:
            return None
        try:
            found = await asyncio.wait_for(prefetch_status(desk, call, words), TIMEOUT_S)
        except TimeoutError:
            logger.warning("order prefetch gave up: slow store", extra={"after_s": TIMEOUT_S})
            return None
        except Exception:
            logger.exception("order prefetch failed")
            return None
        if found is None:
            return None
        fn_call = llm.FunctionCall(
            call_id=f"prefetch_{utils.shortuuid()}",
            name=TOOL,
            arguments=json.dumps({"order_id": found.order_id}),
        )
        output = llm.FunctionCallOutput(
            call_id=fn_call.call_id, name=TOOL, output=found.answer, is_error=False
        )
        chat_ctx.items.extend([fn_call, output])
        logger.info("order prefetched", extra={"order_id": found.order_id})
        if self._record is not None and self._first_in_turn(chat_ctx, found.order_id):
            self._recorded = (found.order_id, fn_call.created_at)
            self._record(fn_call, output)
        return found

    def _first_in_turn(self, chat_ctx: llm.ChatContext, order_id: str) -> bool:
        """Whether this lookup is not a repeat within the same turn: the framework generates
        a reply again as the caller's transcript grows (preemptive generation), and each
        attempt looks up again; the records keep one lookup per order and turn."""
        if self._recorded is None or self._recorded[0] != order_id:
            return True
        since = self._recorded[1]
        return any(
            isinstance(item, llm.ChatMessage)
            and item.role == "assistant"
            and item.created_at > since
            for item in chat_ctx.items
        )
