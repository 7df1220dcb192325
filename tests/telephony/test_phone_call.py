"""A phone call from a known number: greeted by name, "where's my order?" answered from the
context without a lookup, and verified by phone for the address. Unknown numbers get neither."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import pytest
from livekit.agents import AgentSession, JobContext, llm

from agent.acme_agent import CallState
from agent.prompts import load_prompt
from agent.settings import TelephonyConfig
from agent.telephony.caller import sip_caller
from agent.telephony.phone_call import PhoneCall, answer_phone_call
from tests.scripted_llm import Call, Reply, ScriptedLLM
from tests.telephony.livekit_fakes import JORDAN_NUMBER, sip_participant
from tools import speech
from tools.errors import StoreUnavailable
from tools.reconnecting_store import ReconnectingStore
from tools.store import OrderStore
from tools.support import SupportDesk

pytestmark = pytest.mark.unit

UNKNOWN_NUMBER = "+12125550199"
DONT_KNOW = "Sure, which order is it? Could you give me the order number?"


def system_text(ctx: llm.ChatContext) -> str:
    """Everything the model was told, rather than heard: instructions and system messages."""
    return "\n".join(
        i.text_content or ""
        for i in ctx.items
        if i.type == "message" and i.role in ("system", "developer")
    )


def scripted_model() -> ScriptedLLM:
    """Answers "where's my order?" only from facts in its context, as a real model may."""
    model = ScriptedLLM([])

    def from_context(_: re.Match[str]) -> Reply:
        told = system_text(model.requests[-1])
        known = re.search(r"(ACME-\d+ has shipped.*?)(?:,? and ACME-|\.\s|\.$)", told)
        return f"Your order {known[1]}." if known else DONT_KNOW

    model.rules = [
        (r"where'?s my order", from_context),
        (r"address on (\S+?)\??$", lambda m: Call("get_order_details", {"order_id": m[1]})),
    ]
    return model


async def start_phone_call(
    job: JobContext,
    session: AgentSession[CallState],
    number: str | None,
    config: TelephonyConfig | None = None,
) -> PhoneCall:
    caller = sip_caller(sip_participant(number))
    assert caller is not None
    phone = await answer_phone_call(
        job=job,
        session=session,
        caller=caller,
        config=config or TelephonyConfig(),
        instructions=load_prompt("support"),
        greeting=load_prompt("greeting"),
    )
    await session.start(phone.agent())
    return phone


async def test_known_caller_is_greeted_by_name_and_answered_without_a_lookup(
    job: JobContext, store: OrderStore
) -> None:
    jordan = await store.find_customer_by_phone(JORDAN_NUMBER)
    order = await store.get_order("ACME-1042")
    assert jordan is not None and order is not None and order.estimated_delivery
    assert order.customer_id == jordan.id and order.status == "shipped"
    eta = speech.when(order.estimated_delivery, today=datetime.now(UTC).date())

    model = scripted_model()
    state = CallState(desk=SupportDesk(store=store))
    async with AgentSession[CallState](llm=model, userdata=state) as session:
        phone = await start_phone_call(job, session, JORDAN_NUMBER)
        assert phone.welcome.recognized
        assert (state.verification.customer_id, state.verification.method) == (jordan.id, "phone")

        greeting = system_text(model.requests[0])
        assert "Jordan" in greeting.rsplit("\n\n", 1)[-1]  # the greeting instruction itself

        result = await session.run(user_input="Hi, where's my order?")
        reply = result.expect.next_event().is_message(role="assistant").event().item
        result.expect.no_more_events()
        assert not [e for e in result.events if e.type == "function_call"]

        told = system_text(model.requests[-1])
        assert f"ACME-1042 has shipped and is expected {eta}" in told
        assert "ACME-1045 is being processed" in told  # every open order, not only one
        assert f"ACME-1042 has shipped and is expected {eta}" in (reply.text_content or "")

        details = await session.run(user_input="What's the shipping address on ACME-1042?")
        details.expect.next_event().is_function_call(name="get_order_details")
        out = details.expect.next_event().is_function_call_output(is_error=False).event().item
        assert jordan.street in out.output
        await phone.aclose()


@pytest.mark.parametrize("number", [UNKNOWN_NUMBER, None], ids=["unknown", "withheld"])
async def test_unknown_or_withheld_number_gets_no_context_and_no_address(
    job: JobContext, store: OrderStore, number: str | None
) -> None:
    if number is not None:
        assert await store.find_customer_by_phone(number) is None
    jordan = await store.find_customer_by_phone(JORDAN_NUMBER)
    assert jordan is not None

    model = scripted_model()
    state = CallState(desk=SupportDesk(store=store))
    async with AgentSession[CallState](llm=model, userdata=state) as session:
        phone = await start_phone_call(job, session, number)
        assert not phone.welcome.recognized
        assert state.verification.customer_id is None

        assert "Jordan" not in system_text(model.requests[0])
        assert "keypad" in system_text(model.requests[0])  # still a phone call

        result = await session.run(user_input="Hi, where's my order?")
        reply = result.expect.next_event().is_message(role="assistant").event().item
        assert reply.text_content == DONT_KNOW
        assert "ACME-1042" not in system_text(model.requests[-1])

        details = await session.run(user_input="What's the shipping address on ACME-1042?")
        details.expect.next_event().is_function_call(name="get_order_details")
        out = details.expect.next_event().is_function_call_output(is_error=True).event().item
        assert jordan.street not in out.output
        await phone.aclose()


async def _unreachable() -> OrderStore:
    raise StoreUnavailable()


async def _hanging() -> OrderStore:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


@pytest.mark.parametrize("opener", [_unreachable, _hanging], ids=["down", "hanging"])
async def test_store_trouble_gives_the_normal_greeting(job: JobContext, opener: object) -> None:
    store = ReconnectingStore(opener=opener)  # type: ignore[arg-type]
    model = scripted_model()
    state = CallState(desk=SupportDesk(store=store))
    config = TelephonyConfig(caller_lookup_timeout=0.05)
    async with AgentSession[CallState](llm=model, userdata=state) as session:
        phone = await start_phone_call(job, session, JORDAN_NUMBER, config)
        assert not phone.welcome.recognized
        assert state.verification.customer_id is None
        assert phone.welcome.greeting == load_prompt("greeting")
        result = await session.run(user_input="Hi, where's my order?")
        result.expect.next_event().is_message(role="assistant")
        await phone.aclose()


async def test_untrusted_caller_id_never_verifies(job: JobContext, store: OrderStore) -> None:
    jordan = await store.find_customer_by_phone(JORDAN_NUMBER)
    assert jordan is not None
    model = scripted_model()
    state = CallState(desk=SupportDesk(store=store))
    async with AgentSession[CallState](llm=model, userdata=state) as session:
        phone = await start_phone_call(
            job, session, JORDAN_NUMBER, TelephonyConfig(trust_caller_id=False)
        )
        assert not phone.welcome.recognized
        assert state.verification.customer_id is None
        assert "Jordan" not in system_text(model.requests[0])

        details = await session.run(user_input="What's the shipping address on ACME-1042?")
        details.expect.next_event().is_function_call(name="get_order_details")
        out = details.expect.next_event().is_function_call_output(is_error=True).event().item
        assert jordan.street not in out.output
        await phone.aclose()
