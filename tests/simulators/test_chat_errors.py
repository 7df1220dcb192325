"""Chat Completions refusals and failures in the real API's shapes, on the wire."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from simulators import FaultKind, ProviderSimulator

pytestmark = pytest.mark.integration

ASK = [{"role": "user", "content": "What is your return policy?"}]


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(
    client: aiohttp.ClientSession,
    sim: ProviderSimulator,
    messages: list[dict[str, Any]],
    *,
    key: str = "x",
) -> tuple[int, Any]:
    body = {"model": "gpt-4.1-mini", "messages": messages, "stream": True}
    headers = {"Authorization": f"Bearer {key}"}
    async with client.post(
        f"{sim.openai_base_url}/chat/completions", json=body, headers=headers
    ) as resp:
        if resp.status != 200:
            return resp.status, await resp.json()
        events = [
            line[len("data: ") :]
            for line in (await resp.text()).splitlines()
            if line.startswith("data: ")
        ]
        return 200, [e if e == "[DONE]" else json.loads(e) for e in events]


async def test_a_tool_message_without_its_call_is_refused(
    sim: ProviderSimulator, client: aiohttp.ClientSession
) -> None:
    messages = [*ASK, {"role": "tool", "tool_call_id": "call_gone", "content": "shipped"}]
    status, body = await post(client, sim, messages)
    assert status == 400
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["param"] == "messages.[1].role"
    assert (
        "must be a response to a preceeding message with 'tool_calls'" in body["error"]["message"]
    )


async def test_a_context_over_the_model_limit_is_refused(
    sim: ProviderSimulator, client: aiohttp.ClientSession
) -> None:
    sim.behaviour.llm_context_tokens = 50
    status, body = await post(client, sim, [{"role": "user", "content": "x" * 400}])
    assert status == 400
    assert body["error"]["code"] == "context_length_exceeded"
    assert body["error"]["message"].startswith("This model's maximum context length is 50 tokens")
    assert (await post(client, sim, ASK))[0] == 200


async def test_a_wrong_key_gets_401(sim: ProviderSimulator, client: aiohttp.ClientSession) -> None:
    sim.behaviour.api_keys["openai"] = "sk-right"
    status, body = await post(client, sim, ASK, key="sk-wrong-key")
    assert status == 401
    assert body["error"]["code"] == "invalid_api_key"
    assert "sk-****ey" in body["error"]["message"] and "wrong" not in body["error"]["message"]


@pytest.mark.parametrize(
    ("kind", "finish"), [("length", "length"), ("content_filter", "content_filter")]
)
async def test_answers_cut_short_say_why(
    sim: ProviderSimulator, client: aiohttp.ClientSession, kind: FaultKind, finish: str
) -> None:
    sim.faults.inject("llm", kind)
    status, events = await post(client, sim, ASK)
    assert status == 200 and events[-1] == "[DONE]"
    chunks = [e for e in events if e != "[DONE]" and e["choices"]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert 0 < len(text) < len(sim.script.default_answer)
    assert chunks[-1]["choices"][0]["finish_reason"] == finish


async def test_a_refusal_streams_as_refusal_deltas(
    sim: ProviderSimulator, client: aiohttp.ClientSession
) -> None:
    sim.faults.inject("llm", "refusal")
    status, events = await post(client, sim, ASK)
    assert status == 200
    deltas = [e["choices"][0]["delta"] for e in events if e != "[DONE]" and e["choices"]]
    assert "".join(d.get("refusal") or "" for d in deltas) == "I'm sorry, I can't help with that."
    assert not any(d.get("content") for d in deltas)


async def test_an_error_mid_stream_ends_the_stream(
    sim: ProviderSimulator, client: aiohttp.ClientSession
) -> None:
    sim.faults.inject("llm", "error_mid_stream")
    status, events = await post(client, sim, ASK)
    assert status == 200 and "[DONE]" not in events
    assert events[-1]["error"]["type"] == "server_error"
    assert any(e.get("choices") and e["choices"][0]["delta"].get("content") for e in events)
