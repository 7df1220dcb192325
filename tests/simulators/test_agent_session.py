"""A text-only AgentSession whose openai.LLM talks to the Chat Completions simulator."""

from __future__ import annotations

import pytest
from livekit.agents import Agent, AgentSession, RunResult, function_tool
from livekit.agents.metrics.usage import LLMModelUsage
from livekit.plugins import openai

from simulators import ProviderSimulator

pytestmark = pytest.mark.integration


class SupportAgent(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You are Acme customer support.")

    @function_tool
    async def lookup_order(self, order_id: str) -> str:
        """Look up an order by its number.

        Args:
            order_id: The order number, e.g. ACME-1042.
        """
        return f"Order {order_id} shipped on Monday and arrives Thursday."


async def test_session_run_calls_lookup_order_and_answers(sim: ProviderSimulator) -> None:
    model = openai.LLM(base_url=sim.openai_base_url, api_key="x")
    async with AgentSession(llm=model) as session:
        await session.start(SupportAgent())
        result: RunResult[None] = await session.run(user_input="where is order ACME-1042")
    await model.aclose()

    result.expect.next_event().is_function_call(
        name="lookup_order", arguments={"order_id": "ACME-1042"}
    )
    result.expect.next_event().is_function_call_output(
        output="Order ACME-1042 shipped on Monday and arrives Thursday."
    )
    message = result.expect.next_event().is_message(role="assistant").event().item
    assert message.text_content == "Order ACME-1042 shipped on Monday and arrives Thursday."
    result.expect.no_more_events()

    assert len(sim.received.llm_requests) == 2
    assert sim.received.llm_requests[0]["messages"][0]["content"] == (
        "You are Acme customer support."
    )
    usage = [u for u in session.usage.model_usage if isinstance(u, LLMModelUsage)]
    assert len(usage) == 1 and usage[0].input_tokens > 0 and usage[0].output_tokens > 0
