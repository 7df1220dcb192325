"""The real deepgram.STT plugin streaming espeak-ng speech into the Deepgram simulator."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from livekit.agents import stt
from livekit.plugins import deepgram

from simulators import ProviderSimulator

from .conftest import Speech

pytestmark = pytest.mark.integration

EV = stt.SpeechEventType


async def _transcribe(
    sim: ProviderSimulator,
    speech: Speech,
    *,
    segments: int = 1,
    interim_results: bool = True,
    vad_events: bool = True,
) -> list[stt.SpeechEvent]:
    """Stream `speech`, collecting events up to the `segments`-th end of speech.

    (Reading on to the end of the stream would add the plugin's 5 s keepalive period.)
    """
    model = deepgram.STT(
        base_url=sim.deepgram_base_url,
        api_key="x",
        interim_results=interim_results,
        vad_events=vad_events,
    )
    stream = model.stream()
    for frame in speech.frames():
        stream.push_frame(frame)
    stream.end_input()

    async def collect() -> list[stt.SpeechEvent]:
        events: list[stt.SpeechEvent] = []
        async for ev in stream:
            if ev.type != EV.RECOGNITION_USAGE:
                events.append(ev)
            if [e.type for e in events].count(EV.END_OF_SPEECH) == segments:
                break
        return events

    events = await asyncio.wait_for(collect(), timeout=20)
    await stream.aclose()
    return events


async def test_speech_gives_interim_then_final_from_hears(
    sim: ProviderSimulator, http: None, speech_16k: Speech
) -> None:
    sim.script.hear("Where is my order?")
    events = await _transcribe(sim, speech_16k)
    kinds = [ev.type for ev in events]
    assert kinds[0] == EV.START_OF_SPEECH
    assert kinds[-2:] == [EV.FINAL_TRANSCRIPT, EV.END_OF_SPEECH]
    interims = [ev.alternatives[0].text for ev in events if ev.type == EV.INTERIM_TRANSCRIPT]
    assert interims and all("Where is my order?".startswith(t) for t in interims)
    final = events[-2].alternatives[0]
    assert final.text == "Where is my order?"
    assert final.words is not None and [str(w) for w in final.words] == [
        "Where",
        "is",
        "my",
        "order?",
    ]
    assert 0.3 < final.start_time < final.end_time < speech_16k.duration_s

    record = sim.received.stt_streams[0]
    assert final.end_time < record.audio_s <= speech_16k.duration_s
    assert record.transcripts == ["Where is my order?"]
    assert record.query["sample_rate"] == "16000" and record.query["encoding"] == "linear16"
    assert sim.script.hears == []


async def test_each_segment_takes_the_next_heard_text(
    sim: ProviderSimulator, http: None, speech_16k: Speech
) -> None:
    sim.script.hear("first", "second")
    events = await _transcribe(sim, speech_16k + speech_16k, segments=2)
    finals = [ev.alternatives[0].text for ev in events if ev.type == EV.FINAL_TRANSCRIPT]
    assert finals == ["first", "second"]
    assert [ev.type for ev in events].count(EV.END_OF_SPEECH) == 2


async def test_empty_queue_transcribes_nothing_but_ends_speech(
    sim: ProviderSimulator, http: None, speech_16k: Speech
) -> None:
    events = await _transcribe(sim, speech_16k)
    assert EV.FINAL_TRANSCRIPT not in [ev.type for ev in events]
    assert [ev.type for ev in events] == [EV.START_OF_SPEECH, EV.END_OF_SPEECH]
    assert sim.received.stt_streams[0].transcripts == [""]


async def test_finalize_ends_a_segment_cut_mid_speech(
    sim: ProviderSimulator, http: None, speech_16k: Speech
) -> None:
    sim.script.hear("cut short")
    half = Speech(speech_16k.pcm[: len(speech_16k.pcm) // 2], speech_16k.sample_rate)
    events = await _transcribe(sim, half, interim_results=False, vad_events=False)
    assert [ev.type for ev in events] == [EV.START_OF_SPEECH, EV.FINAL_TRANSCRIPT, EV.END_OF_SPEECH]
    assert events[1].alternatives[0].text == "cut short"


async def test_wire_messages_follow_the_deepgram_shape(
    sim: ProviderSimulator, speech_16k: Speech
) -> None:
    sim.script.hear("where is my order")
    url = sim.deepgram_base_url + "?encoding=linear16&sample_rate=16000&interim_results=true"
    url += "&vad_events=true"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        assert ws._response.headers["dg-request-id"]
        await ws.send_bytes(speech_16k.pcm)
        await ws.send_str(json.dumps({"type": "KeepAlive"}))
        await ws.send_str(json.dumps({"type": "CloseStream"}))
        messages = [json.loads(m.data) async for m in ws]
    assert sim.received.stt_streams[0].control == ["KeepAlive", "CloseStream"]
    types = [m["type"] for m in messages]
    assert types[0] == "SpeechStarted" and types[-1] == "Metadata"
    final = next(m for m in messages if m["type"] == "Results" and m["is_final"])
    assert final["speech_final"] is True
    assert final["metadata"]["request_id"]
    alternative = final["channel"]["alternatives"][0]
    assert alternative["transcript"] == "where is my order"
    assert alternative["confidence"] > 0.9
    assert {"word", "punctuated_word", "start", "end", "confidence"} <= set(alternative["words"][0])
    assert final["duration"] > 0 and final["start"] > 0
    assert messages[-1]["duration"] == pytest.approx(speech_16k.duration_s, abs=0.01)
