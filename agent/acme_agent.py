"""AcmeAgent: the support persona and its function tools, thin translators over tools.support."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated

from livekit import rtc
from livekit.agents import (
    Agent,
    FlushSentinel,
    ModelSettings,
    RunContext,
    ToolError,
    function_tool,
    stt,
)
from livekit.agents.llm import ChatChunk, ChatContext, Tool, Toolset
from pydantic import Field

from agent.order_prefetch import OrderPrefetch
from agent.pause_finalize import PauseFinalizer
from agent.settings import Settings
from tools.audit import AttemptLimit
from tools.errors import SupportError
from tools.store import OrderStore
from tools.support import CallerVerification, SupportDesk

logger = logging.getLogger("acme.agent")

_FALLBACK_APOLOGY = (
    "Sorry, something went wrong on my side while checking that. Could you try again in a moment?"
)


@dataclass
class CallState:
    """Per-call state shared by the tools: the desk and what the caller has proven."""

    desk: SupportDesk
    verification: CallerVerification = field(default_factory=CallerVerification)

    @classmethod
    def for_call(cls, settings: Settings, *, store: OrderStore, call_id: str) -> CallState:
        """The state of call `call_id` (as the audit trail names it), with the security policy."""
        policy = settings.security
        limit = AttemptLimit(
            max_failures=policy.lockout_failures,
            window=timedelta(hours=policy.lockout_window_hours),
        )
        desk = SupportDesk(
            store=store,
            returns_need_verification=policy.returns_need_verification,
            attempt_limit=limit,
        )
        return cls(desk=desk, verification=CallerVerification(call_id=call_id))


async def _answer(call: Awaitable[str], *, tool: str) -> str:
    """Await a desk call; business errors become a polite spoken ToolError, nothing escapes."""
    try:
        return await call
    except SupportError as exc:
        logger.info("tool refused", extra={"tool": tool, "reason": type(exc).__name__})
        raise ToolError(str(exc)) from None
    except Exception:
        logger.exception("tool failed", extra={"tool": tool})
        raise ToolError(_FALLBACK_APOLOGY) from None


OrderId = Annotated[
    str,
    Field(
        description=(
            "The order number exactly as the caller said it, for example 'ACME-1042', "
            "'acme one oh four two' or 'ten forty two'. Do not reformat it."
        )
    ),
]
Confirmed = Annotated[
    bool,
    Field(
        description=(
            "True only after a tool asked you to read this order number back, you did, and "
            "the caller said it is right. Otherwise false."
        )
    ),
]


class AcmeAgent(Agent):
    """Acme Corp's support agent."""

    def __init__(
        self,
        *,
        instructions: str,
        greeting: str,
        chat_ctx: ChatContext | None = None,
        tools: Sequence[Tool | Toolset] = (),
        prefetch: OrderPrefetch | None = None,
        finalizer: PauseFinalizer | None = None,
    ) -> None:
        """`tools` adds to the support tools, e.g. the phone-only ones (agent/telephony).

        `prefetch`: look up the order a caller names in a spoken turn before the model asks
        (agent/order_prefetch.py); None: the model always asks through `lookup_order`.
        `finalizer`: finalize the caller's transcript at pauses (agent/pause_finalize.py).
        """
        super().__init__(instructions=instructions, chat_ctx=chat_ctx, tools=list(tools))
        self._greeting = greeting
        self._prefetch = prefetch
        self._finalizer = finalizer

    async def on_enter(self) -> None:
        self.session.generate_reply(instructions=self._greeting)

    async def stt_node(
        self, audio: AsyncIterable[rtc.AudioFrame], model_settings: ModelSettings
    ) -> AsyncIterable[stt.SpeechEvent]:
        """The framework's STT node, its stream finalized at the caller's pauses when so set."""
        if self._finalizer is not None:
            self._finalizer.bind_current_stt()
        async for event in Agent.default.stt_node(self, audio, model_settings):
            yield event

    async def llm_node(
        self, chat_ctx: ChatContext, tools: list[Tool], model_settings: ModelSettings
    ) -> AsyncIterable[ChatChunk | str | FlushSentinel]:
        """The model's reply, with the order the caller just named already looked up."""
        if self._prefetch is not None:
            state: CallState = self.session.userdata
            await self._prefetch.add_to(chat_ctx, desk=state.desk, call=state.verification)
        async for chunk in Agent.default.llm_node(self, chat_ctx, tools, model_settings):
            yield chunk

    @function_tool
    async def lookup_order(
        self, context: RunContext[CallState], order_id: OrderId, confirmed: Confirmed = False
    ) -> str:
        """Look up an order's status, items, carrier, tracking number and delivery dates.

        Anyone with the order number may hear this. Use it whenever the caller asks where an
        order is or what is in it. If it asks you to read the number back, ask the caller
        exactly that; when they say yes, call it again with confirmed true.

        Args:
            order_id: The order number as the caller said it.
            confirmed: The caller confirmed the number you read back.
        """
        state = context.userdata
        call = state.desk.order_status(state.verification, order_id, confirmed=confirmed)
        return await _answer(call, tool="lookup_order")

    @function_tool
    async def find_orders(
        self,
        context: RunContext[CallState],
        email: Annotated[
            str | None, Field(description="Email address the caller gave for their account.")
        ] = None,
        zip_code: Annotated[
            str | None, Field(description="ZIP code the caller gave for their account.")
        ] = None,
    ) -> str:
        """List the caller's most recent orders (numbers and statuses).

        Use it when the caller does not know their order number. It needs the caller verified:
        pass the email address and ZIP code exactly as the caller said them (or nothing, once
        they are verified); never fill them in yourself.

        Args:
            email: Email address on the account, as the caller said it.
            zip_code: ZIP code on the account, as the caller said it.
        """
        state = context.userdata
        call = state.desk.find_orders(state.verification, email=email, zip_code=zip_code)
        return await _answer(call, tool="find_orders")

    @function_tool
    async def verify_caller(
        self,
        context: RunContext[CallState],
        order_id: Annotated[
            str | None,
            Field(description="The order number exactly as the caller said it, if they gave one."),
        ] = None,
        email: Annotated[
            str | None, Field(description="Email address the caller says is on the account.")
        ] = None,
        zip_code: Annotated[
            str | None, Field(description="ZIP code the caller says is on the account.")
        ] = None,
        confirmed: Confirmed = False,
    ) -> str:
        """Verify the caller's identity with two details that match their account.

        Needed before sharing personal details, listing orders or starting a return. Pass
        everything the caller gave: their order number, email address, ZIP code, exactly as
        they said them; never fill these in yourself. If it asks for one more detail, ask the
        caller for it and call it again with everything they gave.

        Args:
            order_id: The order number the caller gave.
            email: The email address the caller gave.
            zip_code: The ZIP code the caller gave.
            confirmed: The caller confirmed the order number you read back.
        """
        state = context.userdata
        call = state.desk.verify_caller(
            state.verification,
            order_id_text=order_id,
            email=email,
            zip_code=zip_code,
            confirmed=confirmed,
        )
        return await _answer(call, tool="verify_caller")

    @function_tool
    async def get_order_details(
        self, context: RunContext[CallState], order_id: OrderId, confirmed: Confirmed = False
    ) -> str:
        """Get an order's shipping address, contact email and phone, and payment card ending.

        Only works once the caller has been verified for this order; otherwise it says how to
        verify.

        Args:
            order_id: The order number as the caller said it.
            confirmed: The caller confirmed the order number you read back.
        """
        state = context.userdata
        call = state.desk.order_details(state.verification, order_id, confirmed=confirmed)
        return await _answer(call, tool="get_order_details")

    @function_tool
    async def start_return(
        self,
        context: RunContext[CallState],
        order_id: OrderId,
        item: Annotated[
            str, Field(description="The item to return: its product name as the caller said it.")
        ],
        reason: Annotated[
            str, Field(description="Why the caller is returning it, in a few words.")
        ],
        confirmed: Confirmed = False,
    ) -> str:
        """Start a return for one item of a delivered order and get its return number.

        The caller must be verified for the order. Asking twice for the same item gives the
        existing return, not a new one. Returns are refused for orders not yet delivered or
        outside the return window; the answer says why.

        Args:
            order_id: The order number as the caller said it.
            item: The product to return.
            reason: The caller's reason for the return.
            confirmed: The caller confirmed the order number you read back.
        """
        state = context.userdata
        call = state.desk.start_return(
            state.verification,
            order_id_text=order_id,
            item=item,
            reason=reason,
            confirmed=confirmed,
        )
        return await _answer(call, tool="start_return")

    @function_tool
    async def product_info(
        self,
        context: RunContext[CallState],
        query: Annotated[
            str, Field(description="Product name or keywords, e.g. 'wireless earbuds'.")
        ],
    ) -> str:
        """Answer a question about Acme products: price, availability and a short description.

        Args:
            query: What the caller is asking about, as a product name or keywords.
        """
        return await _answer(context.userdata.desk.product_info(query), tool="product_info")
