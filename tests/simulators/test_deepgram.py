"""The real deepgram.STT plugin streaming espeak-ng speech into the Deepgram simulator."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from livekit.agents import stt
from livekit.plugins import deepgram

from simulators import ProviderSimulator, synthesize

from .conftest import Speech

pytestmark = pytest.mark.integration

EV = stt.SpeechEventType
SILENCE_1S = b"\x00\x00" * 16000
CHUNK = 1600  # 50 ms of 16 kHz PCM16


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


async def test_speech_gives_interims_then_finals_from_hears(
    sim: ProviderSimulator, http: None, speech_16k: Speech
) -> None:
    sim.script.hear("Where is my order?")
    events = await _transcribe(sim, speech_16k)
    kinds = [ev.type for ev in events]
    assert kinds[0] == EV.START_OF_SPEECH
    assert kinds[-2:] == [EV.FINAL_TRANSCRIPT, EV.END_OF_SPEECH]
    interims = [ev.alternatives[0].text for ev in events if ev.type == EV.INTERIM_TRANSCRIPT]
    assert interims and all("Where is my order?".find(t) >= 0 for t in interims)
    finals = [ev.alternatives[0] for ev in events if ev.type == EV.FINAL_TRANSCRIPT]
    assert " ".join(f.text for f in finals) == "Where is my order?"
    spoken = [str(w) for f in finals for w in f.words or []]
    assert spoken == ["Where", "is", "my", "order?"]
    assert 0.3 < finals[0].start_time < finals[-1].end_time < speech_16k.duration_s

    record = sim.received.stt_streams[0]
    assert finals[-1].end_time < record.audio_s <= speech_16k.duration_s
    assert record.transcripts == ["Where is my order?"]
    assert record.query["sample_rate"] == "16000" and record.query["encoding"] == "linear16"
    assert sim.script.hears == []


async def test_each_segment_takes_the_next_heard_text(
    sim: ProviderSimulator, http: None, speech_16k: Speech
) -> None:
    sim.script.hear("first", "second")
    events = await _transcribe(sim, speech_16k + speech_16k, segments=2)
    finals = [ev.alternatives[0].text for ev in events if ev.type == EV.FINAL_TRANSCRIPT]
    assert finals == ["first", "second"]  # one word each: nothing to cut
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
    kinds = [ev.type for ev in events]
    assert kinds[0] == EV.START_OF_SPEECH and kinds[-1] == EV.END_OF_SPEECH
    finals = [ev.alternatives[0].text for ev in events if ev.type == EV.FINAL_TRANSCRIPT]
    assert " ".join(finals) == "cut short"


async def _send_audio(ws: aiohttp.ClientWebSocketResponse, pcm: bytes) -> None:
    """`pcm` in 50 ms chunks, as fast as possible."""
    for start in range(0, len(pcm), CHUNK):
        await ws.send_bytes(pcm[start : start + CHUNK])


async def _wire(
    sim: ProviderSimulator,
    pcm: bytes,
    query: str = "",
    *,
    key: str = "x",
    endpointing: str = "25",
) -> list[dict[str, Any]]:
    """Every message Deepgram sends for `pcm` (sent in 50 ms chunks, as fast as possible), then
    CloseStream."""
    url = sim.deepgram_base_url + "?encoding=linear16&sample_rate=16000&interim_results=true"
    url += f"&vad_events=true&endpointing={endpointing}" + query
    headers = {"Authorization": f"Token {key}"}
    async with aiohttp.ClientSession() as session, session.ws_connect(url, headers=headers) as ws:
        assert ws._response.headers["dg-request-id"]
        await _send_audio(ws, pcm)
        await ws.send_str(json.dumps({"type": "KeepAlive"}))
        await ws.send_str(json.dumps({"type": "CloseStream"}))
        return [json.loads(m.data) async for m in ws]


def _finals(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if m["type"] == "Results" and m["is_final"]]


def _text(message: dict[str, Any]) -> str:
    return str(message["channel"]["alternatives"][0]["transcript"])


async def test_wire_messages_follow_the_deepgram_shape(
    sim: ProviderSimulator, speech_16k: Speech
) -> None:
    sim.script.hear("where is my order")
    messages = await _wire(sim, speech_16k.pcm)
    assert sim.received.stt_streams[0].control == ["KeepAlive", "CloseStream"]
    types = [m["type"] for m in messages]
    assert types[0] == "SpeechStarted" and types[-1] == "Metadata"
    finals = [m for m in _finals(messages) if _text(m)]
    assert " ".join(_text(m) for m in finals) == "where is my order"
    assert finals[-1]["speech_final"] is True
    final = finals[-1]
    assert final["metadata"]["request_id"]
    alternative = final["channel"]["alternatives"][0]
    assert alternative["confidence"] > 0.9
    assert {"word", "punctuated_word", "start", "end", "confidence"} <= set(alternative["words"][0])
    assert final["duration"] > 0 and final["start"] > 0
    assert messages[-1]["duration"] == pytest.approx(speech_16k.duration_s, abs=0.01)


async def test_long_speech_gives_several_finals_before_speech_final(sim: ProviderSimulator) -> None:
    sentence = "I would like to know where my order is and when it will arrive at my house"
    sim.script.hear(sentence)
    pcm = synthesize(sentence, sample_rate=16000) + SILENCE_1S
    finals = [m for m in _finals(await _wire(sim, pcm)) if _text(m)]
    assert [m["speech_final"] for m in finals][-1] is True
    assert False in [m["speech_final"] for m in finals]  # is_final, not yet the end
    assert " ".join(_text(m) for m in finals) == sentence


async def test_endpointing_off_means_no_speech_final(
    sim: ProviderSimulator, speech_16k: Speech
) -> None:
    sim.script.hear("where is my order")
    messages = await _wire(sim, speech_16k.pcm, endpointing="false")
    assert _finals(messages) and not any(m["speech_final"] for m in _finals(messages))


async def test_utterance_end_follows_when_asked_for(
    sim: ProviderSimulator, speech_16k: Speech
) -> None:
    sim.script.hear("where is my order")
    messages = await _wire(sim, speech_16k.pcm, "&utterance_end_ms=1000")
    [end] = [m for m in messages if m["type"] == "UtteranceEnd"]
    assert messages.index(end) > messages.index(_finals(messages)[-1])
    assert end["last_word_end"] == pytest.approx(
        _finals(messages)[-1]["channel"]["alternatives"][0]["words"][-1]["end"], abs=0.05
    )


async def test_silence_gets_empty_finals(sim: ProviderSimulator) -> None:
    messages = await _wire(sim, SILENCE_1S * 7)
    empty = _finals(messages)
    assert len(empty) == 2 and all(_text(m) == "" and not m["speech_final"] for m in empty)
    assert "SpeechStarted" not in [m["type"] for m in messages]


async def test_an_idle_socket_is_closed_like_deepgram_does(sim: ProviderSimulator) -> None:
    sim.behaviour.deepgram.idle_timeout_s = 0.5
    url = sim.deepgram_base_url + "?encoding=linear16&sample_rate=16000"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        messages = [json.loads(m.data) async for m in ws]
        assert ws.close_code == 1011
    assert [m["type"] for m in messages] == ["Metadata"]


async def test_a_wrong_key_is_refused_with_401(sim: ProviderSimulator) -> None:
    sim.behaviour.api_keys["deepgram"] = "right"
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await _wire(sim, SILENCE_1S, key="wrong")
    assert refused.value.status == 401
    assert len(await _wire(sim, SILENCE_1S, key="right")) == 1  # Metadata


async def test_finalize_in_a_pause_between_sentences_gives_the_words_so_far(
    sim: ProviderSimulator,
) -> None:
    """As Deepgram does, a Finalize while the caller pauses after a sentence finalizes that
    sentence, and what the caller says next is transcribed on."""
    sim.script.hear("Please check my order. Thank you.")
    pause = b"\x00\x00" * 3200  # 0.2 s
    first = synthesize("Please check my order.", sample_rate=16000) + pause
    rest = pause + synthesize("Thank you.", sample_rate=16000) + SILENCE_1S
    url = sim.deepgram_base_url + "?encoding=linear16&sample_rate=16000&interim_results=true"
    headers = {"Authorization": "Token x"}
    async with aiohttp.ClientSession() as session, session.ws_connect(url, headers=headers) as ws:
        await _send_audio(ws, first)
        await ws.send_str(json.dumps({"type": "Finalize"}))
        before: list[dict[str, Any]] = []
        while not (before and before[-1].get("from_finalize")):
            before.append(json.loads((await ws.receive()).data))
        await _send_audio(ws, rest)
        await ws.send_str(json.dumps({"type": "CloseStream"}))
        after = [json.loads(m.data) async for m in ws]
    assert " ".join(_text(m) for m in _finals(before) if _text(m)) == "Please check my order."
    assert before[-1]["is_final"] is True
    assert [_text(m) for m in _finals(after) if _text(m)] == ["Thank you."]
    assert sim.received.stt_streams[0].transcripts == ["Please check my order. Thank you."]


async def test_finalize_after_the_last_sentence_ends_the_utterance(sim: ProviderSimulator) -> None:
    sim.script.hear("Please check my order. Thank you.")
    pause = b"\x00\x00" * 3200
    said = synthesize("Please check my order.", sample_rate=16000)
    thanks = synthesize("Thank you.", sample_rate=16000)
    pcm = said + pause + pause + thanks + pause
    url = sim.deepgram_base_url + "?encoding=linear16&sample_rate=16000"
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, headers={"Authorization": "Token x"}) as ws,
    ):
        await _send_audio(ws, pcm)
        await ws.send_str(json.dumps({"type": "Finalize"}))
        await ws.send_str(json.dumps({"type": "CloseStream"}))
        messages = [json.loads(m.data) async for m in ws]
    finals = [m for m in _finals(messages) if _text(m)]
    assert " ".join(_text(m) for m in finals) == "Please check my order. Thank you."
    assert finals[-1]["from_finalize"] is True  # the Finalize ended it, not more silence


async def test_results_arrive_in_speaking_order_when_speech_resumes_before_a_finalize_answer(
    sim: ProviderSimulator,
) -> None:
    """Deepgram answers a Finalize after its processing time, and what the caller says next
    comes after it on the socket: words are never delivered out of order."""
    sim.latency.stt_final_s = 0.3
    sim.script.hear("Check my order. Thank you very much for looking into it for me today.")
    pause = b"\x00\x00" * 2400  # 0.15 s, and as much after the Finalize: a sentence gap
    first = synthesize("Check my order.", sample_rate=16000) + pause
    rest = pause + synthesize(
        "Thank you very much for looking into it for me today.", sample_rate=16000
    )
    url = sim.deepgram_base_url + "?encoding=linear16&sample_rate=16000&interim_results=true"
    headers = {"Authorization": "Token x"}
    async with aiohttp.ClientSession() as session, session.ws_connect(url, headers=headers) as ws:
        await _send_audio(ws, first)
        await ws.send_str(json.dumps({"type": "Finalize"}))
        await _send_audio(ws, rest + SILENCE_1S)  # on at once, not waiting for the answer
        await ws.send_str(json.dumps({"type": "CloseStream"}))
        messages = [json.loads(m.data) async for m in ws]
    finals = [_text(m) for m in _finals(messages) if _text(m)]
    assert len(finals) >= 3  # the Finalize's answer and pieces of what followed
    assert " ".join(finals) == (
        "Check my order. Thank you very much for looking into it for me today."
    )
