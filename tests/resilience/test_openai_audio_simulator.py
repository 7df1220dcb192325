"""The real openai.STT and openai.TTS plugins against the simulator's OpenAI audio routes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from livekit import rtc
from livekit.agents import APIConnectionError, APIConnectOptions, APIStatusError, utils
from livekit.plugins import openai

from simulators import Latency, ProviderSimulator, speech_duration_s, synthesize

pytestmark = pytest.mark.integration

FAST = APIConnectOptions(max_retry=0, timeout=1.0)
TEXT = "Order ACME-1042 shipped on Monday."


@pytest.fixture
async def sim() -> AsyncIterator[ProviderSimulator]:
    async with ProviderSimulator(latency=Latency.instant()) as simulator, utils.http_context.open():
        yield simulator


def utterance(text: str, sample_rate: int = 16000) -> rtc.AudioFrame:
    pcm = synthesize(text, sample_rate=sample_rate)
    return rtc.AudioFrame(pcm, sample_rate, 1, len(pcm) // 2)


def stt_for(sim: ProviderSimulator) -> openai.STT:
    return openai.STT(base_url=sim.openai_base_url, api_key="x", model="gpt-4o-mini-transcribe")


async def test_transcription_returns_what_the_script_hears(sim: ProviderSimulator) -> None:
    sim.script.hear("where is order ACME-1042")
    stt = stt_for(sim)
    event = await stt.recognize([utterance("where is order ACME-1042")], conn_options=FAST)
    assert event.alternatives[0].text == "where is order ACME-1042"
    [request] = sim.received.transcriptions
    assert request.model == "gpt-4o-mini-transcribe"
    assert request.sample_rate == 16000
    assert request.audio_s == pytest.approx(speech_duration_s("where is order ACME-1042"), 0.01)
    await stt.aclose()


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("http_500", APIStatusError),
        ("http_429", APIStatusError),
        ("close_mid_stream", APIConnectionError),
        ("malformed", APIConnectionError),
    ],
)
async def test_transcription_faults_are_plugin_errors(
    sim: ProviderSimulator, kind: str, error: type[Exception]
) -> None:
    sim.faults.inject("openai_stt", kind)  # type: ignore[arg-type]
    stt = stt_for(sim)
    with pytest.raises(error):
        await stt.recognize([utterance("hello")], conn_options=FAST)
    assert sim.faults.fired("openai_stt", kind) == 1  # type: ignore[arg-type]
    sim.script.hear("hello again")
    event = await stt.recognize([utterance("hello again")], conn_options=FAST)
    assert event.alternatives[0].text == "hello again"
    await stt.aclose()


@pytest.mark.parametrize("model", ["gpt-4o-mini-tts", "tts-1"])  # SSE and raw PCM bodies
async def test_speech_returns_the_whole_text_as_audio(sim: ProviderSimulator, model: str) -> None:
    tts = openai.TTS(base_url=sim.openai_base_url, api_key="x", model=model, response_format="pcm")
    frames = [ev.frame async for ev in tts.synthesize(TEXT, conn_options=FAST)]
    assert sum(f.duration for f in frames) == pytest.approx(speech_duration_s(TEXT), abs=0.05)
    assert all(f.sample_rate == 24000 for f in frames)
    [request] = sim.received.tts_requests
    assert (request.via, request.text, request.done) == ("speech", TEXT, True)
    await tts.aclose()


@pytest.mark.parametrize("kind", ["http_500", "http_429", "close_mid_stream"])
async def test_speech_faults_are_plugin_errors(sim: ProviderSimulator, kind: str) -> None:
    sim.faults.inject("openai_tts", kind)  # type: ignore[arg-type]
    tts = openai.TTS(base_url=sim.openai_base_url, api_key="x", response_format="pcm")
    with pytest.raises((APIStatusError, APIConnectionError)):
        async for _ in tts.synthesize(TEXT, conn_options=FAST):
            pass
    assert sim.faults.fired("openai_tts") == 1
    frames = [ev.frame async for ev in tts.synthesize(TEXT, conn_options=FAST)]
    assert sum(f.duration for f in frames) == pytest.approx(speech_duration_s(TEXT), abs=0.05)
    await tts.aclose()


async def test_stalls_hold_the_request_open(sim: ProviderSimulator) -> None:
    """The plugins read for 30 s; the fallback adapters' own timeouts cut that short."""
    sim.faults.inject("openai_stt", "stall")
    sim.faults.inject("openai_tts", "stall")
    stt = stt_for(sim)
    tts = openai.TTS(base_url=sim.openai_base_url, api_key="x", response_format="pcm")

    async def speak() -> None:
        async with tts.synthesize(TEXT, conn_options=FAST) as stream:
            async for _ in stream:
                pass

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(stt.recognize([utterance("hello")], conn_options=FAST), 1.5)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(speak(), 1.5)
    assert sim.faults.fired("openai_stt", "stall") == 1
    assert sim.faults.fired("openai_tts", "stall") == 1
    assert sim.received.transcriptions[0].transcript == ""
    assert sim.received.tts_requests[0].audio_bytes == 0
    await stt.aclose()
    await tts.aclose()


async def test_speech_rejects_formats_it_cannot_encode(sim: ProviderSimulator) -> None:
    tts = openai.TTS(base_url=sim.openai_base_url, api_key="x", response_format="mp3")
    with pytest.raises(APIStatusError) as err:
        async for _ in tts.synthesize(TEXT, conn_options=FAST):
            pass
    assert err.value.status_code == 400
    await tts.aclose()
