"""The real openai.realtime.RealtimeModel against the Realtime simulator."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from livekit.agents import llm
from livekit.agents.llm import ChatContext, function_tool
from livekit.agents.metrics import RealtimeModelMetrics
from livekit.plugins import openai

from simulators import ProviderSimulator, Script, on_user_says, speech_duration_s

from .conftest import Speech

pytestmark = pytest.mark.integration

TIMEOUT_S = 10


@function_tool
async def lookup_order(order_id: str) -> str:
    """Look up an order.

    Args:
        order_id: The order number.
    """
    return f"Order {order_id} shipped."


@dataclass
class Generation:
    text: str = ""
    audio_s: float = 0.0
    calls: list[llm.FunctionCall] = field(default_factory=list)


async def _collect(
    gen: llm.GenerationCreatedEvent, *, stop_after_audio: bool = False
) -> Generation:
    out = Generation()

    async def message(msg: llm.MessageGeneration) -> None:
        async def text() -> None:
            async for delta in msg.text_stream:
                out.text += delta

        async def audio() -> None:
            async for frame in msg.audio_stream:
                out.audio_s += frame.duration
                if stop_after_audio:
                    return

        await asyncio.gather(text(), audio())

    async def messages() -> None:
        async for msg in gen.message_stream:
            await message(msg)

    async def functions() -> None:
        async for call in gen.function_stream:
            out.calls.append(call)

    await asyncio.wait_for(asyncio.gather(messages(), functions()), TIMEOUT_S)
    return out


class Events:
    """Collects the session's events by name."""

    def __init__(self, session: llm.RealtimeSession[Any], *names: str) -> None:
        """Queue the named events; `wire` keeps every raw server event."""
        self.queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.seen: list[tuple[str, Any]] = []
        self.wire: list[dict[str, Any]] = []
        session.on("openai_server_event_received", self.wire.append)
        for name in names:
            session.on(name, lambda ev, name=name: self.queue.put_nowait((name, ev)))

    async def wait_for(self, name: str, *, final: bool = False) -> Any:
        """The next `name` event (with `final`, the next one whose `is_final` is set)."""
        while True:
            got = await asyncio.wait_for(self.queue.get(), TIMEOUT_S)
            self.seen.append(got)
            if got[0] == name and (not final or got[1].is_final):
                return got[1]

    async def response_metrics(self) -> RealtimeModelMetrics:
        """The next per-response metrics (skipping the connection-time report)."""
        while True:
            metrics = await self.wait_for("metrics_collected")
            if isinstance(metrics, RealtimeModelMetrics) and metrics.request_id:
                return metrics


def _model(sim: ProviderSimulator, **kwargs: Any) -> openai.realtime.RealtimeModel:
    return openai.realtime.RealtimeModel(base_url=sim.openai_base_url, api_key="x", **kwargs)


async def test_item_create_and_spoken_reply(sim: ProviderSimulator, http: None) -> None:
    session = _model(sim).session()
    events = Events(session, "metrics_collected")
    ctx = ChatContext()
    ctx.add_message(role="user", content="Hello")
    await asyncio.wait_for(session.update_chat_ctx(ctx), TIMEOUT_S)
    assert [item.id for item in session.chat_ctx.items] == [item.id for item in ctx.items]

    gen = await asyncio.wait_for(session.generate_reply(), TIMEOUT_S)
    assert gen.user_initiated
    out = await _collect(gen)
    assert out.text == sim.script.default_answer
    assert out.audio_s == pytest.approx(speech_duration_s(out.text), abs=0.05)
    assert out.calls == []

    metrics = await events.response_metrics()
    assert metrics.input_tokens > 0 and metrics.output_tokens > 0 and not metrics.cancelled
    assert metrics.output_token_details.audio_tokens > 0
    roles = [(i.type, getattr(i, "role", None)) for i in session.chat_ctx.items]
    assert roles == [("message", "user"), ("message", "assistant")]
    await session.aclose()
    types = sim.received.realtime_sessions[0].event_types()
    assert types.count("session.update") >= 1
    assert "conversation.item.create" in types and "response.create" in types


async def test_function_call_response(sim: ProviderSimulator, http: None) -> None:
    session = _model(sim).session()
    await session.update_tools([lookup_order])
    ctx = ChatContext()
    ctx.add_message(role="user", content="where is order ACME-1042")
    await asyncio.wait_for(session.update_chat_ctx(ctx), TIMEOUT_S)
    out = await _collect(await asyncio.wait_for(session.generate_reply(), TIMEOUT_S))
    assert [(c.name, c.arguments) for c in out.calls] == [
        ("lookup_order", '{"order_id": "ACME-1042"}')
    ]
    assert out.text == ""

    call = out.calls[0]
    ctx = session.chat_ctx.copy()
    ctx.items.append(
        llm.FunctionCallOutput(
            call_id=call.call_id, name=call.name, output="Order ACME-1042 shipped.", is_error=False
        )
    )
    await asyncio.wait_for(session.update_chat_ctx(ctx), TIMEOUT_S)
    out = await _collect(await asyncio.wait_for(session.generate_reply(), TIMEOUT_S))
    assert out.text == "Order ACME-1042 shipped."
    assert [r.output for r in sim.received.tool_results] == ["Order ACME-1042 shipped."]
    assert sim.received.tool_results[0].name == "lookup_order"
    await session.aclose()


async def test_text_modality_streams_text(sim: ProviderSimulator, http: None) -> None:
    session = _model(sim, modalities=["text"]).session()
    ctx = ChatContext()
    ctx.add_message(role="user", content="Hello")
    await asyncio.wait_for(session.update_chat_ctx(ctx), TIMEOUT_S)
    out = await _collect(await asyncio.wait_for(session.generate_reply(), TIMEOUT_S))
    assert out.text == sim.script.default_answer
    assert out.audio_s == 0
    await session.aclose()


@pytest.mark.parametrize("transcript_first", [False, True])
async def test_server_vad_turn_gives_transcript_and_answer(
    sim: ProviderSimulator, http: None, speech_16k: Speech, transcript_first: bool
) -> None:
    """As the real API: the response starts once the turn is committed and the caller's
    transcript (streamed as deltas) arrives on its own, later; or, when asked, before it."""
    sim.script = Script(
        rules=[on_user_says("where is my order").say("It ships today.")],
        hears=["where is my order"],
    )
    sim.latency.realtime_transcript_s = 0.3
    sim.behaviour.realtime.transcript_before_response = transcript_first
    session = _model(sim).session()
    events = Events(
        session,
        "input_speech_started",
        "input_speech_stopped",
        "input_audio_transcription_completed",
        "generation_created",
    )
    for frame in speech_16k.frames():
        session.push_audio(frame)

    gen = await events.wait_for("generation_created")
    assert not gen.user_initiated
    out = await _collect(gen)
    assert out.text == "It ships today."
    assert out.audio_s > 0
    if not any(n.startswith("input_audio_tr") and ev.is_final for n, ev in events.seen):
        await events.wait_for("input_audio_transcription_completed", final=True)
    heard = [
        (ev.transcript, ev.is_final) for n, ev in events.seen if n.startswith("input_audio_tr")
    ]
    assert heard == [
        ("where", False),
        ("where is", False),
        ("where is my", False),
        ("where is my order", False),
        ("where is my order", True),
    ]
    wire = [ev["type"] for ev in events.wire]
    turn = wire[wire.index("input_audio_buffer.speech_started") :]
    assert turn[:4] == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
    ]
    created = turn.index("response.created")
    completed = turn.index("conversation.item.input_audio_transcription.completed")
    assert (completed < created) == transcript_first
    if not transcript_first:  # the whole answer, function calls included, can come first
        assert turn.index("response.done") < completed
    assert turn[created + 1] == "rate_limits.updated"
    done = next(ev for ev in events.wire if ev["type"] == "response.created")
    assert done["response"]["metadata"] is None
    record = sim.received.realtime_sessions[0]
    assert record.transcripts == ["where is my order"]
    assert record.audio_bytes > 0
    await session.aclose()


async def test_without_turn_detection_only_answers_on_request(
    sim: ProviderSimulator, http: None, speech_16k: Speech
) -> None:
    sim.script.hear("where is order 4242")
    session = _model(sim, turn_detection=None).session()
    await session.update_tools([lookup_order])
    events = Events(
        session, "input_speech_started", "generation_created", "input_audio_transcription_completed"
    )
    for frame in speech_16k.frames():
        session.push_audio(frame)
    session.commit_audio()
    transcript = await events.wait_for("input_audio_transcription_completed", final=True)
    assert transcript.transcript == "where is order 4242"
    assert {name for name, _ in events.seen} == {"input_audio_transcription_completed"}

    out = await _collect(await asyncio.wait_for(session.generate_reply(), TIMEOUT_S))
    assert [(c.name, c.arguments) for c in out.calls] == [("lookup_order", '{"order_id": "4242"}')]
    assert "input_speech_started" not in [name for name, _ in events.seen]
    await session.aclose()


async def test_interrupt_cancels_the_response(sim: ProviderSimulator, http: None) -> None:
    sim.latency.tts_realtime_factor = 1.0
    session = _model(sim).session()
    events = Events(session, "metrics_collected")
    ctx = ChatContext()
    ctx.add_message(role="user", content="Hello")
    await asyncio.wait_for(session.update_chat_ctx(ctx), TIMEOUT_S)
    gen = await asyncio.wait_for(session.generate_reply(), TIMEOUT_S)
    msg, first_s = await _first_audio(gen)
    session.interrupt()
    rest_s = await asyncio.wait_for(_drain_audio(msg), TIMEOUT_S)
    metrics = await events.response_metrics()
    assert metrics.cancelled
    assert 0 < first_s + rest_s < speech_duration_s(sim.script.default_answer)
    done = next(ev for ev in events.wire if ev["type"] == "response.done")
    assert done["response"]["status"] == "cancelled"
    assert done["response"]["status_details"]["reason"] == "client_cancelled"
    assert "response.cancel" in sim.received.realtime_sessions[0].event_types()
    await session.aclose()


async def _first_audio(gen: llm.GenerationCreatedEvent) -> tuple[llm.MessageGeneration, float]:
    """Wait for the first message and its first audio frame."""

    async def first() -> tuple[llm.MessageGeneration, float]:
        async for msg in gen.message_stream:
            async for frame in msg.audio_stream:
                return msg, frame.duration
        raise AssertionError("no audio")

    return await asyncio.wait_for(first(), TIMEOUT_S)


async def _drain_audio(msg: llm.MessageGeneration) -> float:
    return sum([frame.duration async for frame in msg.audio_stream])


async def test_user_speech_barges_in_on_a_server_response(
    sim: ProviderSimulator, http: None, speech_16k: Speech
) -> None:
    sim.latency.tts_realtime_factor = 1.0
    sim.script.hear("hello", "stop")
    session = _model(sim).session()
    events = Events(session, "generation_created", "metrics_collected", "input_speech_started")
    for frame in speech_16k.frames():
        session.push_audio(frame)
    gen = await events.wait_for("generation_created")
    await _first_audio(gen)
    for frame in speech_16k.frames():
        session.push_audio(frame)
    metrics = await events.response_metrics()
    assert metrics.cancelled
    assert [n for n, _ in events.seen].count("input_speech_started") == 2
    done = next(ev for ev in events.wire if ev["type"] == "response.done")
    assert done["response"]["status_details"]["reason"] == "turn_detected"
    item = next(ev["item"] for ev in events.wire if ev["type"] == "response.output_item.done")
    assert item["status"] == "incomplete"
    await session.aclose()
