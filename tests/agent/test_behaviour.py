"""AcmeAgent text conversations with a scripted model over the real SQLite order store."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from livekit.agents import AgentSession

from agent.acme_agent import AcmeAgent, CallState
from agent.prompts import load_prompt
from tests.scripted_llm import Call, Rule, ScriptedLLM
from tools.store import OrderStore
from tools.support import SupportDesk

pytestmark = pytest.mark.unit

RULES: list[Rule] = [
    (r"details of (\S+)", lambda m: Call("get_order_details", {"order_id": m[1]})),
    (
        r"verify (\S+) with email (\S+)",
        lambda m: Call("verify_caller", {"order_id": m[1], "email": m[2]}),
    ),
    (
        r"return the (.+) from (\S+) because (.+)",
        lambda m: Call("start_return", {"order_id": m[2], "item": m[1], "reason": m[3]}),
    ),
    (r"how much (?:is|are) (?:the )?(.+?)\??$", lambda m: Call("product_info", {"query": m[1]})),
    (r"my order is (.+)", lambda m: Call("lookup_order", {"order_id": m[1]})),
    (r"where is order (\S+?)\??$", lambda m: Call("lookup_order", {"order_id": m[1]})),
]


@pytest.fixture
async def session(store: OrderStore) -> AsyncIterator[AgentSession[CallState]]:
    state = CallState(desk=SupportDesk(store=store))
    async with AgentSession[CallState](llm=ScriptedLLM(RULES), userdata=state) as sess:
        agent = AcmeAgent(instructions=load_prompt("support"), greeting=load_prompt("greeting"))
        await sess.start(agent)
        yield sess


async def test_order_lookup(session: AgentSession[CallState], store: OrderStore) -> None:
    order = await store.get_order("ACME-1042")
    assert order is not None and order.tracking_number and order.carrier
    result = await session.run(user_input="Where is order ACME-1042?")
    result.expect.next_event().is_function_call(
        name="lookup_order", arguments={"order_id": "ACME-1042"}
    )
    output = result.expect.next_event().is_function_call_output(is_error=False).event().item
    assert order.tracking_number in output.output
    assert order.carrier in output.output
    msg = result.expect.next_event().is_message(role="assistant").event().item
    assert order.tracking_number in (msg.text_content or "")
    result.expect.no_more_events()


async def test_lookup_with_spoken_order_id(
    session: AgentSession[CallState], store: OrderStore
) -> None:
    order = await store.get_order("ACME-1042")
    assert order is not None and order.tracking_number
    result = await session.run(user_input="my order is a c m e dash one oh four two")
    result.expect.next_event().is_function_call(
        name="lookup_order", arguments={"order_id": "a c m e dash one oh four two"}
    )
    output = result.expect.next_event().is_function_call_output(is_error=False).event().item
    assert order.tracking_number in output.output


async def test_unknown_order_is_a_polite_answer(
    session: AgentSession[CallState], store: OrderStore
) -> None:
    assert await store.get_order("ACME-9999999") is None
    result = await session.run(user_input="Where is order ACME-9999999?")
    result.expect.next_event().is_function_call(name="lookup_order")
    output = result.expect.next_event().is_function_call_output(is_error=True).event().item
    assert "ACME-9999999" in output.output
    assert "Traceback" not in output.output
    result.expect.next_event().is_message(role="assistant")


async def test_return_started_then_duplicate_refused(
    session: AgentSession[CallState], store: OrderStore
) -> None:
    order = await store.get_order("ACME-1043")
    assert order is not None and order.status == "delivered"
    item = order.items[0]
    assert await store.get_return("ACME-1043", item.sku) is None
    ask = f"return the {item.product_name} from ACME-1043 because it stopped working"

    first = await session.run(user_input=ask)
    first.expect.next_event().is_function_call(
        name="start_return", arguments={"order_id": "ACME-1043", "item": item.product_name}
    )
    out1 = first.expect.next_event().is_function_call_output(is_error=False).event().item
    created = await store.get_return("ACME-1043", item.sku)
    assert created is not None and created.reason == "it stopped working"
    assert created.return_id in out1.output

    second = await session.run(user_input=ask)
    second.expect.next_event().is_function_call(name="start_return")
    out2 = second.expect.next_event().is_function_call_output().event().item
    assert created.return_id in out2.output
    again = await store.get_return("ACME-1043", item.sku)
    assert again is not None and again.return_id == created.return_id


async def test_return_refused_when_not_delivered(
    session: AgentSession[CallState], store: OrderStore
) -> None:
    order = await store.get_order("ACME-1045")
    assert order is not None and order.status == "processing"
    item = order.items[0]
    result = await session.run(
        user_input=f"return the {item.product_name} from ACME-1045 because I changed my mind"
    )
    result.expect.next_event().is_function_call(name="start_return")
    result.expect.next_event().is_function_call_output(is_error=True)
    assert await store.get_return("ACME-1045", item.sku) is None


async def test_product_question(session: AgentSession[CallState], store: OrderStore) -> None:
    products = await store.search_products("earbuds")
    assert products
    price = f"${products[0].price_cents / 100:.2f}"
    result = await session.run(user_input="How much are the earbuds?")
    result.expect.next_event().is_function_call(name="product_info", arguments={"query": "earbuds"})
    output = result.expect.next_event().is_function_call_output(is_error=False).event().item
    assert products[0].name in output.output
    assert price in output.output


async def test_personal_details_only_after_verification(
    session: AgentSession[CallState], store: OrderStore
) -> None:
    order = await store.get_order("ACME-1042")
    assert order is not None
    customer = await store.get_customer(order.customer_id)
    assert customer is not None

    before = await session.run(user_input="give me the details of ACME-1042")
    before.expect.next_event().is_function_call(name="get_order_details")
    refused = before.expect.next_event().is_function_call_output(is_error=True).event().item
    for secret in (customer.street, customer.email, customer.phone, order.payment_last4):
        assert secret not in refused.output
    assert session.userdata.verification.customer_id is None

    wrong = await session.run(user_input="verify ACME-1042 with email someone.else@example.com")
    wrong.expect.next_event().is_function_call(name="verify_caller")
    wrong.expect.next_event().is_function_call_output(is_error=True)
    assert session.userdata.verification.customer_id is None

    right = await session.run(user_input=f"verify ACME-1042 with email {customer.email.upper()}")
    right.expect.next_event().is_function_call(name="verify_caller")
    right.expect.next_event().is_function_call_output(is_error=False)
    assert session.userdata.verification.customer_id == customer.id

    after = await session.run(user_input="give me the details of ACME-1042")
    after.expect.next_event().is_function_call(name="get_order_details")
    given = after.expect.next_event().is_function_call_output(is_error=False).event().item
    assert customer.street in given.output
    assert order.payment_last4 in given.output
