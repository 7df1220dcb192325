"""Whole voice turns through AgentSession: speech in, VAD, simulated providers, audio out."""

from __future__ import annotations

import asyncio
import time

import pytest
from livekit import rtc
from livekit.agents import Agent, AgentSession, function_tool, io, llm
from livekit.agents.voice.events import ConversationItemAddedEvent
from livekit.plugins import cartesia, deepgram, openai, silero

from harness.instant_playout import InstantPlayout
from simulators import ProviderSimulator, speech_duration_s

from .conftest import Speech

pytestmark = pytest.mark.integration

ANSWER = "Order ACME-1042 shipped on Monday."


class SpeechInput(io.AudioInput):
    """Plays `speech` at real-time pace (endpointing runs on wall-clock delays), then silence."""

    def __init__(self, speech: Speech) -> None:
        super().__init__(label="speech")
        self._speech = speech
        self._frames = 0
        self._started_at: float | None = None

    async def __anext__(self) -> rtc.AudioFrame:
        rate = self._speech.sample_rate
        size = rate // 50 * 2
        if self._started_at is None:
            self._started_at = time.monotonic()
        await asyncio.sleep(max(0.0, self._started_at + self._frames * 0.02 - time.monotonic()))
        chunk = self._speech.pcm[self._frames * size : (self._frames + 1) * size]
        self._frames += 1
        chunk = chunk.ljust(size, b"\x00")
        return rtc.AudioFrame(chunk, rate, 1, size // 2)


class SupportAgent(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You are Acme customer support.")

    @function_tool
    async def lookup_order(self, order_id: str) -> str:
        """Look up an order.

        Args:
            order_id: The order number.
        """
        return f"Order {order_id} shipped on Monday."


async def _one_turn(session: AgentSession[None], speech: Speech) -> list[llm.ChatMessage]:
    output = InstantPlayout(label="collect")
    session.input.audio = SpeechInput(speech.silence(3.0))
    session.output.audio = output
    messages: list[llm.ChatMessage] = []
    answered = asyncio.Event()

    def on_item(ev: ConversationItemAddedEvent) -> None:
        if isinstance(ev.item, llm.ChatMessage):
            messages.append(ev.item)
            if ev.item.role == "assistant":
                answered.set()

    session.on("conversation_item_added", on_item)
    await session.start(SupportAgent())
    await asyncio.wait_for(answered.wait(), 30)
    await session.aclose()
    assert output.audio_s == pytest.approx(speech_duration_s(ANSWER), abs=0.1)
    return messages


async def test_pipeline_turn_with_tool_call(
    sim: ProviderSimulator, http: None, speech_16k: Speech
) -> None:
    sim.script.hear("where is order ACME-1042")
    session: AgentSession[None] = AgentSession(
        stt=deepgram.STT(base_url=sim.deepgram_base_url, api_key="x"),
        llm=openai.LLM(base_url=sim.openai_base_url, api_key="x"),
        tts=cartesia.TTS(base_url=sim.cartesia_base_url, api_key="x"),
        vad=silero.VAD.load(),
    )
    messages = await _one_turn(session, speech_16k)
    assert [(m.role, m.text_content) for m in messages] == [
        ("user", "where is order ACME-1042"),
        ("assistant", ANSWER),
    ]
    assert [r.name for r in sim.received.tool_results] == ["lookup_order"]
    assert sim.received.tts_texts == [ANSWER]
    assert sim.received.stt_streams[0].transcripts == ["where is order ACME-1042"]


async def test_realtime_turn_with_tool_call(
    sim: ProviderSimulator, http: None, speech_16k: Speech
) -> None:
    sim.script.hear("where is order ACME-1042")
    session: AgentSession[None] = AgentSession(
        llm=openai.realtime.RealtimeModel(base_url=sim.openai_base_url, api_key="x")
    )
    messages = await _one_turn(session, speech_16k)
    assert [(m.role, m.text_content) for m in messages] == [
        ("user", "where is order ACME-1042"),
        ("assistant", ANSWER),
    ]
    assert [r.via for r in sim.received.tool_results] == ["realtime"]
    assert sim.received.realtime_sessions[0].transcripts == ["where is order ACME-1042"]
