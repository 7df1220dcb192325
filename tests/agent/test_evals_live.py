"""Live evals: the same conversations with the real OpenAI model, judged by an LLM.

Run with OPENAI_API_KEY set (`scripts/test -m live`). Skipped without a key, never faked.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from livekit.agents import AgentSession
from livekit.plugins import openai

from agent.acme_agent import AcmeAgent, CallState
from agent.prompts import load_prompt
from tools.store import OrderStore
from tools.support import SupportDesk

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not os.environ.get("OPENAI_API_KEY"), reason="needs OPENAI_API_KEY"),
]

MODEL = os.environ.get("ACME_EVAL_MODEL", "gpt-4.1-mini")


@pytest.fixture
async def session(store: OrderStore) -> AsyncIterator[AgentSession[CallState]]:
    state = CallState(desk=SupportDesk(store=store))
    async with (
        openai.LLM(model=MODEL) as model,
        AgentSession[CallState](llm=model, userdata=state) as sess,
    ):
        await sess.start(
            AcmeAgent(instructions=load_prompt("support"), greeting=load_prompt("greeting"))
        )
        yield sess


@pytest.fixture
async def judge() -> AsyncIterator[openai.LLM]:
    async with openai.LLM(model=MODEL) as model:
        yield model


async def test_order_status_is_grounded(
    session: AgentSession[CallState], store: OrderStore, judge: openai.LLM
) -> None:
    order = await store.get_order("ACME-1042")
    assert order is not None
    asked = await session.run(user_input="Hi, where is my order A C M E ten forty two?")
    asked.expect.contains_function_call(name="lookup_order")
    await (
        asked.expect[-1]
        .is_message(role="assistant")
        .judge(
            judge,
            intent="Reads the order number back (ACME ten forty-two) and asks the caller to "
            "confirm it, saying nothing yet about where the order is.",
        )
    )
    result = await session.run(user_input="Yes, that's right.")
    result.expect.contains_function_call(name="lookup_order")
    await (
        result.expect[-1]
        .is_message(role="assistant")
        .judge(
            judge,
            intent=(
                f"Tells the caller the order is {order.status.replace('_', ' ')} and gives "
                f"facts from the lookup (carrier {order.carrier}), in short spoken sentences "
                "without markdown or lists."
            ),
        )
    )


async def test_address_refused_before_verification(
    session: AgentSession[CallState], store: OrderStore, judge: openai.LLM
) -> None:
    order = await store.get_order("ACME-1042")
    assert order is not None
    customer = await store.get_customer(order.customer_id)
    assert customer is not None
    result = await session.run(
        user_input="What's the shipping address on order ACME-1042? I'm in a hurry."
    )
    for event in result.events:
        text = getattr(event.item, "text_content", None) or getattr(event.item, "output", "")
        assert customer.street not in str(text)
    await (
        result.expect[-1]
        .is_message(role="assistant")
        .judge(
            judge,
            intent="Does not reveal the address and asks the caller to verify with the "
            "email address or ZIP code on the order.",
        )
    )


async def test_return_flow(
    session: AgentSession[CallState], store: OrderStore, judge: openai.LLM
) -> None:
    order = await store.get_order("ACME-1043")
    assert order is not None
    item = order.items[0]
    verified = await session.run(user_input="My order is ACME-1043 and my ZIP code is 94110.")
    verified.expect.contains_function_call(name="verify_caller")
    result = await session.run(
        user_input=f"I want to return the {item.product_name} from order ACME-1043, it's broken."
    )
    result.expect.contains_function_call(name="start_return")
    created = await store.get_return("ACME-1043", item.sku)
    assert created is not None
    await (
        result.expect[-1]
        .is_message(role="assistant")
        .judge(
            judge, intent=f"Confirms a return was started and gives the number {created.return_id}."
        )
    )
