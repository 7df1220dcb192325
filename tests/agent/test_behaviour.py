"""AcmeAgent text conversations with a scripted model over the real SQLite order store."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from livekit.agents import AgentSession

from agent.acme_agent import AcmeAgent, CallState
from agent.prompts import load_prompt
from agent.settings import load_settings
from tests.scripted_llm import Call, Rule, ScriptedLLM
from tools.errors import InvalidOrderId
from tools.store import OrderStore

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
    (
        r"verify (\S+) with zip (\S+)",
        lambda m: Call("verify_caller", {"order_id": m[1], "zip_code": m[2]}),
    ),
    (
        r"I'm (\S+) with zip (\S+)",
        lambda m: Call("verify_caller", {"email": m[1], "zip_code": m[2]}),
    ),
    (r"list my orders", lambda m: Call("find_orders", {})),
    (
        r"yes,? (?:it's )?(.+)",
        lambda m: Call("lookup_order", {"order_id": m[1], "confirmed": True}),
    ),
    (r"my order is (.+)", lambda m: Call("lookup_order", {"order_id": m[1]})),
    (r"where is order (\S+?)\??$", lambda m: Call("lookup_order", {"order_id": m[1]})),
]


@pytest.fixture
async def session(store: OrderStore) -> AsyncIterator[AgentSession[CallState]]:
    settings = load_settings(environ={}, require_keys=False)  # the shipped security policy
    state = CallState.for_call(settings, store=store, call_id="room-job")
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


async def test_spoken_order_id_is_read_back_before_the_answer(
    session: AgentSession[CallState], store: OrderStore
) -> None:
    order = await store.get_order("ACME-1042")
    assert order is not None and order.tracking_number
    result = await session.run(user_input="my order is a c m e dash one oh four two")
    result.expect.next_event().is_function_call(
        name="lookup_order", arguments={"order_id": "a c m e dash one oh four two"}
    )
    asked = result.expect.next_event().is_function_call_output(is_error=True).event().item
    assert asked.output == "Just to be sure I have the right order: is it ACME-1042?"
    reply = result.expect.next_event().is_message(role="assistant").event().item
    assert reply.text_content == asked.output  # the agent reads it back, nothing more
    confirmed = await session.run(user_input="yes, one oh four two")
    confirmed.expect.next_event().is_function_call(
        name="lookup_order", arguments={"order_id": "one oh four two", "confirmed": True}
    )
    output = confirmed.expect.next_event().is_function_call_output(is_error=False).event().item
    assert order.tracking_number in output.output


@pytest.mark.parametrize(
    "said", ["My number is 415-555-1043", "(415) 555-0142", "my zip code is 94110",
             "I ordered in March 2024", "it's 10:42 and nothing came"],
)  # fmt: skip
async def test_numbers_that_are_not_order_numbers_are_not_looked_up(
    session: AgentSession[CallState], said: str
) -> None:
    result = await session.run(user_input=f"my order is {said}")
    result.expect.next_event().is_function_call(name="lookup_order")
    output = result.expect.next_event().is_function_call_output(is_error=True).event().item
    assert output.output == InvalidOrderId().message


async def test_a_self_correction_takes_the_corrected_number(
    session: AgentSession[CallState],
) -> None:
    result = await session.run(user_input="my order is ACME 1042, no wait, 1043")
    result.expect.next_event().is_function_call(name="lookup_order")
    asked = result.expect.next_event().is_function_call_output(is_error=True).event().item
    assert asked.output == "Just to be sure I have the right order: is it ACME-1043?"
    confirmed = await session.run(user_input="yes it's ACME 1042, no wait, 1043")
    confirmed.expect.next_event().is_function_call(name="lookup_order")
    output = confirmed.expect.next_event().is_function_call_output(is_error=False).event().item
    assert output.output.startswith("Order ACME-1043 was delivered")


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


async def test_return_needs_verification_then_started_once(
    session: AgentSession[CallState], store: OrderStore
) -> None:
    order = await store.get_order("ACME-1043")
    assert order is not None and order.status == "delivered"
    item = order.items[0]
    assert await store.get_return("ACME-1043", item.sku) is None
    ask = f"return the {item.product_name} from ACME-1043 because it stopped working"

    refused = await session.run(user_input=ask)
    refused.expect.next_event().is_function_call(name="start_return")
    out = refused.expect.next_event().is_function_call_output(is_error=True).event().item
    assert out.output.startswith("To start a return, I first need to verify you")
    assert await store.get_return("ACME-1043", item.sku) is None
    verify = await session.run(user_input="verify ACME-1043 with zip 94110")
    verify.expect.contains_function_call_output(is_error=False)

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
    await session.run(user_input="verify ACME-1045 with zip 94110")
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


async def test_an_order_number_the_agent_listed_is_no_proof(
    session: AgentSession[CallState],
) -> None:
    verified = await session.run(user_input="I'm jordan.rivera@example.com with zip 94110")
    verified.expect.contains_function_call_output(is_error=False)
    listed = await session.run(user_input="list my orders")
    out = listed.expect.contains_function_call_output(is_error=False).event().item
    assert "ACME-1042" in out.output
    # The agent said ACME-1042 itself: repeating it proves nothing, so one detail is missing.
    again = await session.run(user_input="verify ACME-1042 with zip 94110")
    refused = again.expect.contains_function_call_output(is_error=True).event().item
    assert refused.output.startswith("For your security, I need one more detail")


async def test_disclosures_are_recorded_with_the_call_and_the_proof(
    session: AgentSession[CallState], tmp_path: Path
) -> None:
    await session.run(user_input="verify ACME-1042 with email jordan.rivera@example.com")
    details = await session.run(user_input="give me the details of ACME-1042")
    details.expect.contains_function_call_output(is_error=False)
    with sqlite3.connect(tmp_path / "acme.db") as conn:
        rows = conn.execute(
            "SELECT call_id, order_id, customer_id, fields, method FROM disclosures ORDER BY id"
        ).fetchall()
        events = conn.execute(
            "SELECT call_id, outcome, method, customer_id, order_id FROM verification_events"
        ).fetchall()
    assert rows == [
        ("room-job", "ACME-1042", 1, "name", "email+order"),
        ("room-job", "ACME-1042", 1, "shipping_address,email,phone,card_last4", "email+order"),
    ]
    assert events == [("room-job", "success", "email+order", 1, "ACME-1042")]
