"""A phone call from a known number. By default caller ID identifies, it does not authenticate:
no name, no orders, no address until the caller gives one more detail, and then "where's my
order?" is answered from what was fetched before the greeting, without a lookup. Where the operator
trusts caller ID, the caller is greeted by name and verified by the number. Unknown numbers get
neither."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

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
from tools.models import Customer
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
        (r"my zip code is (\S+?)\.?$", lambda m: Call("verify_caller", {"zip_code": m[1]})),
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


async def jordan_and_eta(store: OrderStore) -> tuple[Customer, str]:
    """The showcase caller and when their shipped order ACME-1042 is expected, as spoken."""
    jordan = await store.find_customer_by_phone(JORDAN_NUMBER)
    order = await store.get_order("ACME-1042")
    assert jordan is not None and order is not None and order.estimated_delivery
    assert order.customer_id == jordan.id and order.status == "shipped"
    return jordan, speech.when(order.estimated_delivery, today=datetime.now(UTC).date())


async def test_known_number_identifies_but_discloses_nothing_until_one_more_detail(
    job: JobContext, store: OrderStore, tmp_path: Path
) -> None:
    jordan, eta = await jordan_and_eta(store)
    model = scripted_model()
    state = CallState(desk=SupportDesk(store=store))
    async with AgentSession[CallState](llm=model, userdata=state) as session:
        phone = await start_phone_call(job, session, JORDAN_NUMBER)  # the shipped settings
        assert phone.welcome.recognized and not phone.welcome.verified
        assert state.verification.customer_id is None
        assert state.verification.calling_number == JORDAN_NUMBER
        told = system_text(model.requests[0])
        assert "Jordan" not in told and "ACME-1042" not in told and "keypad" in told

        result = await session.run(user_input="Hi, where's my order?")
        reply = result.expect.next_event().is_message(role="assistant").event().item
        assert reply.text_content == DONT_KNOW
        details = await session.run(user_input="What's the shipping address on ACME-1042?")
        out = details.expect.contains_function_call_output(is_error=True).event().item
        assert jordan.street not in out.output

        # The orders were fetched before the greeting: take them out of the store to prove the
        # answer after one more detail needs no lookup.
        with sqlite3.connect(tmp_path / "acme.db") as db:
            owned = "SELECT order_id FROM orders WHERE customer_id = 1"
            db.execute(f"DELETE FROM order_items WHERE order_id IN ({owned})")
            db.execute("DELETE FROM orders WHERE customer_id = 1")
        verified = await session.run(user_input="My zip code is 94110.")
        out = verified.expect.contains_function_call_output(is_error=False).event().item
        assert out.output.startswith("Thank you, Jordan; you're verified. Your 2 open orders:")
        assert f"ACME-1042 has shipped and is expected {eta}" in out.output
        assert (state.verification.customer_id, state.verification.method) == (1, "caller_id+zip")
        await phone.aclose()


async def test_trusted_caller_id_greets_by_name_and_answers_without_a_lookup(
    job: JobContext, store: OrderStore, tmp_path: Path
) -> None:
    jordan, eta = await jordan_and_eta(store)

    model = scripted_model()
    state = CallState(desk=SupportDesk(store=store))
    async with AgentSession[CallState](llm=model, userdata=state) as session:
        trusted = TelephonyConfig(trust_caller_id=True)
        phone = await start_phone_call(job, session, JORDAN_NUMBER, trusted)
        assert phone.welcome.recognized and phone.welcome.verified
        assert (state.verification.customer_id, state.verification.method) == (
            jordan.id,
            "caller_id",
        )

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
    with sqlite3.connect(tmp_path / "acme.db") as db:
        events = db.execute(
            "SELECT outcome, method, customer_id, calling_number FROM verification_events"
        ).fetchall()
        heard = db.execute("SELECT fields, method FROM disclosures ORDER BY id").fetchall()
    assert events == [("success", "caller_id", 1, JORDAN_NUMBER)]
    assert heard == [
        ("name", "caller_id"),
        ("shipping_address,email,phone,card_last4", "caller_id"),
    ]


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
    async with AgentSession[CallState](llm=model, userdata=state) as session:
        trusted = TelephonyConfig(caller_lookup_timeout=0.05, trust_caller_id=True)
        phone = await start_phone_call(job, session, JORDAN_NUMBER, trusted)
        assert not phone.welcome.recognized
        assert state.verification.customer_id is None
        assert phone.welcome.greeting == load_prompt("greeting")
        result = await session.run(user_input="Hi, where's my order?")
        result.expect.next_event().is_message(role="assistant")
        await phone.aclose()
