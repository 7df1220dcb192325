"""Spoken order questions in the pipeline are looked up before the model asks, under the same rules.

The scripted model here never asks for a tool: it answers from a `lookup_order` result when the
context holds one, and with its default answer otherwise. So whatever it knows about an order
came from the agent's prefetch (agent/order_prefetch.py), and what reached the simulated model
is exactly what the prefetch disclosed.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from harness import CallerSpeech, CallerTurn, CallResult, SimulatorUrls, run_call
from harness.scenario import GREETING, NO_TOOL_ANSWER, benchmark_latency, greet, tracking_answer
from simulators import Behaviour, DeepgramBehaviour, ProviderSimulator, Script
from tools.stores import open_store
from tools.support import CallerVerification, SupportDesk

pytestmark = pytest.mark.integration

CALL_TIMEOUT_S = 120
CALL_ID = "e2e-prefetch"


@pytest.fixture
async def sim() -> AsyncIterator[ProviderSimulator]:
    """A model that answers from a lookup result in its context and never calls a tool."""
    script = Script(rules=[greet, tracking_answer()], default_answer=NO_TOOL_ANSWER)
    behaviour = Behaviour(deepgram=DeepgramBehaviour(finals_in_pieces=True))
    async with ProviderSimulator(
        script=script, latency=benchmark_latency(), behaviour=behaviour
    ) as simulator:
        yield simulator


async def _call(
    sim: ProviderSimulator,
    say: Callable[[str], CallerSpeech],
    workdir: Path,
    heard: list[tuple[str, str]],
) -> CallResult:
    """A pipeline call of one turn per (spoken, heard) sentence."""
    sim.script.hear(*(text for _, text in heard))
    return await asyncio.wait_for(
        run_call(
            mode="pipeline",
            turns=[CallerTurn(speech=say(spoken)) for spoken, _ in heard],
            urls=SimulatorUrls.of(sim),
            workdir=workdir,
            call_id=CALL_ID,
        ),
        CALL_TIMEOUT_S,
    )


def _audit_rows(workdir: Path) -> list[tuple[str, object]]:
    with sqlite3.connect(workdir / "acme.db") as conn:
        disclosures = conn.execute("SELECT 'disclosure', fields FROM disclosures").fetchall()
        attempts = conn.execute("SELECT 'verification', outcome FROM verification_events")
        return [*disclosures, *attempts.fetchall()]


async def test_prefetched_status_is_lookup_orders_answer_audited_alike_without_personal_data(
    sim: ProviderSimulator, say: Callable[[str], CallerSpeech], tmp_path: Path
) -> None:
    result = await _call(
        sim,
        say,
        tmp_path,
        [("Please check order ACME 1043. Thank you.", "Please check order ACME-1043. Thank you.")],
    )
    # lookup_order's own answer for that order, on the call's store, for an unverified caller
    store = await open_store(f"sqlite:///{tmp_path / 'acme.db'}", seed=False)
    try:
        desk = SupportDesk(store=store)
        status = await desk.order_status(CallerVerification(call_id="other"), "ACME-1043")
        order = await store.get_order("ACME-1043")
        assert order is not None
        customer = await store.get_customer(order.customer_id)
        assert customer is not None
    finally:
        await store.close()
    assert order.status == "delivered" and "was delivered" in status

    # the caller hears the order's status in the first reply, from one model call
    [turn] = result.turns
    assert [r["text"] for r in turn.assistant] == [status]
    assert turn.tool_calls == [] and not [c for r in sim.received.replies for c in r.tool_calls]
    # (the model may be asked more than once as the transcript grows: preemptive generation)
    assert {(r.name, r.output) for r in sim.received.tool_results} == {("lookup_order", status)}

    # recorded as lookup_order's calls are: in the call's transcript, and in the audit tables
    # exactly what lookup_order writes for the status, which is not personal data: nothing
    records = result.transcript
    [tool] = [r for r in records if r["type"] == "tool_call"]
    assert (tool["name"], json.loads(tool["arguments"])) == (
        "lookup_order",
        {"order_id": order.order_id},
    )
    assert (tool["output"], tool["is_error"]) == (status, False)
    assert _audit_rows(tmp_path) == []

    # the unverified caller's model was given nothing personal about the order's customer
    sent = json.dumps(sim.received.llm_requests)
    personal = (
        customer.name,
        customer.name.split()[-1],
        customer.email,
        customer.phone,
        customer.zip_code,
        order.shipping_address,
        order.payment_last4,
    )
    assert [p for p in personal if p and p in sent] == []
    assert result.greeting is not None and result.greeting.assistant[0]["text"] == GREETING


async def test_numbers_that_are_no_order_numbers_or_need_a_read_back_are_not_prefetched(
    sim: ProviderSimulator, say: Callable[[str], CallerSpeech], tmp_path: Path
) -> None:
    # Each sentence holds an existing order's digits (ACME-1042) that are something else.
    result = await _call(
        sim,
        say,
        tmp_path,
        [
            (
                "My phone number is four one five five five five one oh four two. Thank you.",
                "My phone number is (415) 555-1042. Thank you.",
            ),
            (
                "My zip code is nine four one one oh one oh four two. Thank you.",
                "My ZIP code is 94110-1042. Thank you.",
            ),
            ("I paid 1042 dollars for it. Thank you.", "I paid 1042 dollars for it. Thank you."),
            # said in words: read back by the tool before anything about the order is said
            (
                "Please check order acme ten forty two. Thank you.",
                "Please check order acme ten forty two. Thank you.",
            ),
            # the same order said plainly is prefetched (the sentences above were heard)
            (
                "Please check order ACME 1042. Thank you.",
                "Please check order ACME-1042. Thank you.",
            ),
        ],
    )
    *other, order_turn = result.turns
    assert [t.assistant[0]["text"] for t in other] == [NO_TOOL_ANSWER] * len(other)
    assert [len(t.user_texts) for t in result.turns] == [1] * 5
    [looked_up] = {r.output for r in sim.received.tool_results}
    assert looked_up.startswith("Order ACME-1042 shipped")
    assert order_turn.assistant[0]["text"].startswith("It shipped with")
    tools = [r for r in result.transcript if r["type"] == "tool_call"]
    assert [json.loads(r["arguments"]) for r in tools] == [{"order_id": "ACME-1042"}]
    last_asked = [r for r in result.transcript if r.get("role") == "user"][-1]
    assert tools[0]["spoken_at"] > last_asked["spoken_at"]  # for the last turn, recorded once
    assert _audit_rows(tmp_path) == []
