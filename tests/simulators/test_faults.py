"""Each injected fault surfaces as the error the real plugin raises, never as a hang."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from livekit.agents import (
    APIConnectionError,
    APIConnectOptions,
    APIError,
    APIStatusError,
    APITimeoutError,
    stt,
)
from livekit.agents.llm import ChatContext
from livekit.plugins import cartesia, deepgram, openai

from simulators import FaultKind, ProviderSimulator

from .conftest import Speech

pytestmark = pytest.mark.integration

NO_RETRY = APIConnectOptions(max_retry=0, timeout=1.0)
GUARD_S = 15  # a test that would hang fails here instead

STATUS = {"http_500": 500, "http_429": 429}


def _check(error: BaseException, expected: type[BaseException], kind: FaultKind) -> None:
    assert isinstance(error, expected), repr(error)
    if kind in STATUS:
        assert isinstance(error, APIStatusError) and error.status_code == STATUS[kind]


async def _chat(sim: ProviderSimulator, conn_options: APIConnectOptions = NO_RETRY) -> str:
    model = openai.LLM(base_url=sim.openai_base_url, api_key="x")
    ctx = ChatContext()
    ctx.add_message(role="user", content="hello, I have a question about my account")
    text = ""
    try:
        async with model.chat(chat_ctx=ctx, conn_options=conn_options) as stream:
            async for chunk in stream:
                if chunk.delta is not None and chunk.delta.content:
                    text += chunk.delta.content
    finally:
        await model.aclose()
    return text


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("http_500", APIStatusError),
        ("http_429", APIStatusError),
        ("close_mid_stream", APIConnectionError),
        ("stall", APITimeoutError),
        ("malformed", APIConnectionError),
    ],
)
async def test_llm_faults(
    sim: ProviderSimulator, kind: FaultKind, expected: type[APIError]
) -> None:
    sim.faults.inject("llm", kind)
    with pytest.raises(APIError) as info:
        await asyncio.wait_for(_chat(sim), GUARD_S)
    _check(info.value, expected, kind)
    assert sim.faults.fired("llm", kind) == 1
    assert sim.faults.pending() == 0


async def test_llm_fault_fires_once_then_the_retry_succeeds(sim: ProviderSimulator) -> None:
    sim.faults.inject("llm", "http_500", times=1)
    retry = APIConnectOptions(max_retry=1, retry_interval=0.0, timeout=1.0)
    text = await asyncio.wait_for(_chat(sim, retry), GUARD_S)
    assert text == sim.script.default_answer
    assert sim.faults.fired("llm", "http_500") == 1
    assert len(sim.received.llm_requests) == 2


async def test_http_429_carries_retry_after(sim: ProviderSimulator) -> None:
    sim.faults.inject("llm", "http_429")
    with pytest.raises(APIStatusError) as info:
        await asyncio.wait_for(_chat(sim), GUARD_S)
    body = info.value.body
    assert isinstance(body, dict) and body.get("code") == "rate_limit_exceeded"
    assert sim.faults.fired() == 1


async def _listen(sim: ProviderSimulator, speech: Speech) -> list[stt.SpeechEvent]:
    """Stream like a live call (input left open) until the end of speech or an error."""
    model = deepgram.STT(base_url=sim.deepgram_base_url, api_key="x")
    stream = model.stream(conn_options=NO_RETRY)
    for frame in speech.frames():
        stream.push_frame(frame)
    events: list[stt.SpeechEvent] = []
    try:
        async for ev in stream:
            events.append(ev)
            if ev.type == stt.SpeechEventType.END_OF_SPEECH:
                break
    finally:
        await stream.aclose()
    return events


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("http_500", APIStatusError),
        ("http_429", APIStatusError),
        ("close_mid_stream", APIStatusError),
        ("stall", APIConnectionError),
    ],
)
async def test_stt_faults(
    sim: ProviderSimulator,
    http: None,
    speech_16k: Speech,
    kind: FaultKind,
    expected: type[APIError],
) -> None:
    sim.script.hear("where is my order")
    sim.faults.inject("stt", kind)
    with pytest.raises(APIError) as info:
        await asyncio.wait_for(_listen(sim, speech_16k), GUARD_S)
    _check(info.value, expected, kind)
    assert sim.faults.fired("stt", kind) == 1


async def test_stt_malformed_message_is_logged_and_skipped(
    sim: ProviderSimulator, http: None, speech_16k: Speech, caplog: pytest.LogCaptureFixture
) -> None:
    sim.script.hear("lost words", "where is my order")
    sim.faults.inject("stt", "malformed")
    with caplog.at_level(logging.ERROR, logger="livekit.plugins.deepgram"):
        events = await asyncio.wait_for(_listen(sim, speech_16k + speech_16k), GUARD_S)
    finals = [
        ev.alternatives[0].text for ev in events if ev.type == stt.SpeechEventType.FINAL_TRANSCRIPT
    ]
    assert finals == ["where is my order"]
    assert any("failed to process deepgram message" in r.message for r in caplog.records)
    assert sim.faults.fired("stt", "malformed") == 1


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("http_500", APIStatusError),
        ("http_429", APIStatusError),
        ("close_mid_stream", APIStatusError),
        ("stall", APITimeoutError),
        ("malformed", APIConnectionError),
    ],
)
async def test_tts_stream_faults(
    sim: ProviderSimulator, http: None, kind: FaultKind, expected: type[APIError]
) -> None:
    tts = cartesia.TTS(base_url=sim.cartesia_base_url, api_key="x")
    sim.faults.inject("tts", kind)

    async def speak() -> None:
        stream = tts.stream(conn_options=NO_RETRY)
        stream.push_text("Hello there. Your order shipped yesterday.")
        stream.end_input()
        async for _ in stream:
            pass

    with pytest.raises(APIError) as info:
        await asyncio.wait_for(speak(), GUARD_S)
    await tts.aclose()
    _check(info.value, expected, kind)
    assert sim.faults.fired("tts", kind) == 1


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("http_500", APIStatusError),
        ("http_429", APIStatusError),
        ("close_mid_stream", APIConnectionError),
    ],
)
async def test_tts_bytes_faults(
    sim: ProviderSimulator, http: None, kind: FaultKind, expected: type[APIError]
) -> None:
    tts = cartesia.TTS(base_url=sim.cartesia_base_url, api_key="x")
    sim.faults.inject("tts", kind)

    async def speak() -> None:
        async for _ in tts.synthesize("Your order shipped.", conn_options=NO_RETRY):
            pass

    with pytest.raises(APIError) as info:
        await asyncio.wait_for(speak(), GUARD_S)
    await tts.aclose()
    _check(info.value, expected, kind)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("http_500", APIConnectionError),
        ("http_429", APIConnectionError),
        ("close_mid_stream", APIConnectionError),
        ("stall", APIConnectionError),
    ],
)
async def test_realtime_faults_end_the_session_with_an_error(
    sim: ProviderSimulator, http: None, kind: FaultKind, expected: type[Exception]
) -> None:
    """Realtime errors arrive as session `error` events; without retries they are final."""
    sim.faults.inject("realtime", kind)
    model = openai.realtime.RealtimeModel(
        base_url=sim.openai_base_url, api_key="x", conn_options=NO_RETRY
    )
    session = model.session()
    errors: asyncio.Queue[Any] = asyncio.Queue()
    session.on("error", errors.put_nowait)
    if kind == "close_mid_stream":
        session.generate_reply().add_done_callback(lambda f: f.exception())
    error = await asyncio.wait_for(errors.get(), GUARD_S)
    assert isinstance(error.error, expected), repr(error.error)
    assert error.recoverable is False
    with pytest.raises(type(error.error)):
        await session.aclose()
    assert sim.faults.fired("realtime", kind) == 1
