"""How the Realtime simulator fails, in the real API's shapes: responses that end failed or
incomplete, error events, transcription failures, expired sessions and refused keys."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from livekit.agents import llm
from livekit.agents.llm import ChatContext
from livekit.plugins import openai

from simulators import FaultKind, ProviderSimulator

from .conftest import Speech

pytestmark = pytest.mark.integration

TIMEOUT_S = 10


async def _reply(sim: ProviderSimulator, kind: FaultKind) -> tuple[list[dict[str, Any]], Any]:
    """Ask for one reply with `kind` armed; the server events and what generate_reply gave."""
    sim.faults.inject("realtime", kind)
    model = openai.realtime.RealtimeModel(base_url=sim.openai_base_url, api_key="x")
    session = model.session()
    wire: list[dict[str, Any]] = []
    session.on("openai_server_event_received", wire.append)
    ctx = ChatContext()
    ctx.add_message(role="user", content="Hello")
    await asyncio.wait_for(session.update_chat_ctx(ctx), TIMEOUT_S)
    try:
        outcome: Any = await asyncio.wait_for(session.generate_reply(), TIMEOUT_S)
        async for message in outcome.message_stream:
            async for _ in message.text_stream:
                pass
        for _ in range(100):
            if any(e["type"] == "response.done" for e in wire):
                break
            await asyncio.sleep(0.02)
    except llm.RealtimeError as exc:
        outcome = exc
    await session.aclose()
    await model.aclose()
    return wire, outcome


@pytest.mark.parametrize(
    ("kind", "status", "detail"),
    [
        ("response_failed", "failed", {"type": "server_error", "code": None}),
        ("rate_limited", "failed", {"code": "inference_rate_limit_exceeded"}),
        ("server_error_event", "failed", {"type": "server_error"}),
        ("response_incomplete", "incomplete", {}),
    ],
)
async def test_responses_end_failed_or_incomplete(
    sim: ProviderSimulator, http: None, kind: FaultKind, status: str, detail: dict[str, Any]
) -> None:
    wire, _ = await _reply(sim, kind)
    [done] = [e for e in wire if e["type"] == "response.done"]
    details = done["response"]["status_details"]
    assert done["response"]["status"] == status == details["type"]
    assert detail.items() <= (details.get("error") or {}).items()
    if status == "incomplete":
        assert details["reason"] == "max_output_tokens"
        [item] = [e["item"] for e in wire if e["type"] == "response.output_item.done"]
        spoken = item["content"][0]["transcript"]
        assert 0 < len(spoken) < len(sim.script.default_answer)
    [limits] = [e["rate_limits"] for e in wire if e["type"] == "rate_limits.updated"]
    assert {r["name"] for r in limits} == {"requests", "tokens"}
    assert (min(r["remaining"] for r in limits) == 0) == (kind == "rate_limited")
    errors = [e["error"] for e in wire if e["type"] == "error"]
    assert [e["type"] for e in errors] == (["server_error"] if kind == "server_error_event" else [])


async def test_a_refused_response_create_names_its_event(
    sim: ProviderSimulator, http: None
) -> None:
    wire, outcome = await _reply(sim, "invalid_request")
    assert isinstance(outcome, llm.RealtimeError)
    [error] = [e["error"] for e in wire if e["type"] == "error"]
    assert error["type"] == "invalid_request_error" and error["event_id"]
    [create] = [
        e for e in sim.received.realtime_sessions[0].events if e["type"] == "response.create"
    ]
    assert error["event_id"] == create["event_id"]
    assert "response.created" not in [e["type"] for e in wire]


async def test_a_failed_transcription_is_reported_for_its_item(
    sim: ProviderSimulator, http: None, speech_16k: Speech
) -> None:
    sim.script.hear("where is my order")
    sim.faults.inject("realtime", "transcription_failed")
    session = openai.realtime.RealtimeModel(base_url=sim.openai_base_url, api_key="x").session()
    wire: list[dict[str, Any]] = []
    session.on("openai_server_event_received", wire.append)
    for frame in speech_16k.frames():
        session.push_audio(frame)
    for _ in range(200):
        if any(e["type"].endswith("transcription.failed") for e in wire):
            break
        await asyncio.sleep(0.02)
    await session.aclose()
    [failed] = [e for e in wire if e["type"].endswith("transcription.failed")]
    [committed] = [e for e in wire if e["type"] == "input_audio_buffer.committed"]
    assert failed["item_id"] == committed["item_id"]
    assert failed["error"]["type"] == "transcription_error"
    assert not any(e["type"].endswith("transcription.completed") for e in wire)
    assert sim.received.realtime_sessions[0].transcripts == []


async def _raw(sim: ProviderSimulator, key: str = "x") -> tuple[list[dict[str, Any]], int | None]:
    url = sim.openai_base_url.replace("http", "ws") + "/realtime?model=gpt-realtime"
    headers = {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession() as client, client.ws_connect(url, headers=headers) as ws:
        events = [json.loads(m.data) async for m in ws]
        return events, ws.close_code


async def test_a_session_at_its_maximum_duration_is_closed(sim: ProviderSimulator) -> None:
    sim.behaviour.realtime.max_session_s = 0.3
    events, code = await _raw(sim)
    assert [e["type"] for e in events] == ["session.created", "error"]
    assert events[-1]["error"]["code"] == "session_expired"
    assert events[-1]["error"]["type"] == "invalid_request_error"
    assert code == 1001


async def test_a_wrong_key_is_refused_on_the_socket(sim: ProviderSimulator) -> None:
    sim.behaviour.api_keys["openai"] = "sk-right"
    events, code = await _raw(sim, key="sk-wrong")
    [error] = events
    assert error["type"] == "error" and error["error"]["code"] == "invalid_api_key"
    assert code == 3000
