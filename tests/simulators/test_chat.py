"""The real openai.LLM plugin against the Chat Completions simulator."""

from __future__ import annotations

import json

import aiohttp
import pytest
from livekit.agents import llm
from livekit.agents.llm import ChatContext, FunctionCall, FunctionCallOutput, function_tool
from livekit.plugins import openai

from simulators import ProviderSimulator, Script, on_tool_result, on_user_says

pytestmark = pytest.mark.integration


@function_tool
async def lookup_order(order_id: str) -> str:
    """Look up an order.

    Args:
        order_id: The order number.
    """
    return f"Order {order_id} shipped on Monday."


@function_tool
async def start_return(order_id: str, reason: str) -> str:
    """Start a return.

    Args:
        order_id: The order number.
        reason: Why the customer returns it.
    """
    return "Return started."


async def _collect(model: openai.LLM, ctx: ChatContext, tools: list[llm.Tool]) -> dict[str, object]:
    text, calls, usage = "", [], []
    async with model.chat(chat_ctx=ctx, tools=tools) as stream:
        async for chunk in stream:
            if chunk.delta is not None:
                text += chunk.delta.content or ""
                calls.extend(chunk.delta.tool_calls)
            if chunk.usage is not None:
                usage.append(chunk.usage)
    return {"text": text, "calls": calls, "usage": usage}


async def test_tool_call_then_spoken_tool_result_with_usage(sim: ProviderSimulator) -> None:
    model = openai.LLM(base_url=sim.openai_base_url, api_key="x")
    ctx = ChatContext()
    ctx.add_message(role="system", content="You are Acme support.")
    ctx.add_message(role="user", content="Hi, where is order ACME-1042?")

    first = await _collect(model, ctx, [lookup_order])
    calls = first["calls"]
    assert isinstance(calls, list) and len(calls) == 1
    call = calls[0]
    assert call.name == "lookup_order"
    assert json.loads(call.arguments) == {"order_id": "ACME-1042"}
    assert first["text"] == ""

    ctx.items.append(FunctionCall(call_id=call.call_id, name=call.name, arguments=call.arguments))
    ctx.items.append(
        FunctionCallOutput(
            call_id=call.call_id, name=call.name, output="Shipped Monday.", is_error=False
        )
    )
    second = await _collect(model, ctx, [lookup_order])
    assert second["text"] == "Shipped Monday."
    assert second["calls"] == []

    for result in (first, second):
        usage = result["usage"]
        assert isinstance(usage, list) and len(usage) == 1
        assert usage[0].prompt_tokens > 0 and usage[0].completion_tokens > 0
        assert usage[0].total_tokens == usage[0].prompt_tokens + usage[0].completion_tokens

    assert [r.output for r in sim.received.tool_results] == ["Shipped Monday."]
    assert sim.received.tool_results[0].name == "lookup_order"
    request = sim.received.llm_requests[0]
    assert request["stream"] is True and request["stream_options"] == {"include_usage": True}
    assert [t["function"]["name"] for t in request["tools"]] == ["lookup_order"]
    await model.aclose()


async def test_without_order_number_gives_canned_answer(sim: ProviderSimulator) -> None:
    model = openai.LLM(base_url=sim.openai_base_url, api_key="x")
    ctx = ChatContext()
    ctx.add_message(role="user", content="hello there")
    result = await _collect(model, ctx, [lookup_order])
    assert result["text"] == sim.script.default_answer
    assert result["calls"] == []
    await model.aclose()


async def test_rules_use_capture_groups_and_parallel_calls(sim: ProviderSimulator) -> None:
    sim.script = Script(
        rules=[
            on_user_says(r"return (?P<order>\S+) because (?P<why>.+)").call_tools(
                ("start_return", {"order_id": r"\g<order>", "reason": r"\g<why>"}),
                ("lookup_order", lambda m: {"order_id": m["order"].upper()}),
                say="Let me check.",
            ),
            on_tool_result("start_return").say(r"Done: \g<0>"),
        ]
    )
    model = openai.LLM(base_url=sim.openai_base_url, api_key="x")
    ctx = ChatContext()
    ctx.add_message(role="user", content="please return acme-7 because it is broken")
    result = await _collect(model, ctx, [lookup_order, start_return])
    assert result["text"] == "Let me check."
    calls = result["calls"]
    assert isinstance(calls, list)
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [
        ("start_return", {"order_id": "acme-7", "reason": "it is broken"}),
        ("lookup_order", {"order_id": "ACME-7"}),
    ]
    assert len({c.call_id for c in calls}) == 2
    await model.aclose()


async def test_tool_rule_is_skipped_when_the_tool_is_not_offered(sim: ProviderSimulator) -> None:
    model = openai.LLM(base_url=sim.openai_base_url, api_key="x")
    ctx = ChatContext()
    ctx.add_message(role="user", content="where is order ACME-1042")
    result = await _collect(model, ctx, [])
    assert result["calls"] == []
    assert result["text"] == sim.script.default_answer
    await model.aclose()


async def test_non_streamed_completion_and_models(sim: ProviderSimulator) -> None:
    body = {
        "model": "gpt-4.1",
        "stream": False,
        "messages": [{"role": "user", "content": "where is order 55512"}],
        "tools": [{"type": "function", "function": {"name": "lookup_order", "parameters": {}}}],
    }
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{sim.openai_base_url}/chat/completions", json=body) as resp:
            assert resp.status == 200
            data = await resp.json()
        async with session.get(f"{sim.openai_base_url}/models") as resp:
            models = await resp.json()
    choice = data["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    call = choice["message"]["tool_calls"][0]
    assert call["function"]["name"] == "lookup_order"
    assert json.loads(call["function"]["arguments"]) == {"order_id": "55512"}
    assert data["usage"]["total_tokens"] > 0
    assert "gpt-4.1" in [m["id"] for m in models["data"]]


async def test_prewarm_lists_models(sim: ProviderSimulator) -> None:
    model = openai.LLM(base_url=sim.openai_base_url, api_key="x")
    await model._prewarm_impl()
    await model.aclose()
    assert sim.received.llm_requests == []
