"""The real cartesia.TTS plugin against the Cartesia simulator, plus raw multi-context use."""

from __future__ import annotations

import base64
import json
from typing import Any

import aiohttp
import pytest
from livekit.plugins import cartesia

from simulators import ProviderSimulator, speech_duration_s
from simulators.audio import SECONDS_PER_CHAR

pytestmark = pytest.mark.integration

FRAME_SLACK_S = 0.05


async def test_synthesize_returns_audio_of_plausible_duration(
    sim: ProviderSimulator, http: None
) -> None:
    tts = cartesia.TTS(base_url=sim.cartesia_base_url, api_key="x", sample_rate=16000)
    text = "Your order has shipped."
    frames = [ev.frame async for ev in tts.synthesize(text)]
    duration = sum(f.duration for f in frames)
    assert duration == pytest.approx(speech_duration_s(text), abs=FRAME_SLACK_S)
    assert {f.sample_rate for f in frames} == {16000}
    assert max(max(abs(s) for s in f.data) for f in frames) > 5000
    request = sim.received.tts_requests[0]
    assert (request.via, request.text, request.done) == ("bytes", text, True)
    await tts.aclose()


async def test_stream_returns_audio_and_word_timestamps(sim: ProviderSimulator, http: None) -> None:
    tts = cartesia.TTS(base_url=sim.cartesia_base_url, api_key="x")
    stream = tts.stream()
    text = "Hello there. Your order ACME-1042 shipped yesterday. It arrives on Friday."
    for word in text.split(" "):
        stream.push_text(word + " ")
    stream.end_input()
    events = [ev async for ev in stream]
    duration = sum(ev.frame.duration for ev in events)
    request = sim.received.tts_requests[0]
    assert request.via == "websocket" and request.done
    assert request.text == text
    assert duration == pytest.approx(request.audio_s, abs=FRAME_SLACK_S)
    # each sentence is synthesised on its own, so only the spaces between them are missing
    assert duration == pytest.approx(speech_duration_s(text), rel=0.05)
    assert len({ev.segment_id for ev in events}) == 1
    await tts.aclose()


async def _ws_messages(ws: aiohttp.ClientWebSocketResponse, n_done: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while sum(1 for m in messages if m.get("done")) < n_done:
        messages.append(json.loads((await ws.receive(timeout=10)).data))
    return messages


def msg(ctx: str, text: str, *, cont: bool, stamps: bool = True, **extra: Any) -> str:
    return json.dumps(
        {
            "model_id": "sonic-3",
            "voice": {"mode": "id", "id": "v"},
            "output_format": {"container": "raw", "encoding": "pcm_s16le", "sample_rate": 8000},
            "context_id": ctx,
            "transcript": text,
            "continue": cont,
            "add_timestamps": stamps,
            **extra,
        }
    )


def ws_url(sim: ProviderSimulator) -> str:
    return sim.cartesia_base_url.replace("http", "ws") + "/tts/websocket?cartesia_version=x"


async def test_contexts_interleave_continue_cancel_and_timestamps(sim: ProviderSimulator) -> None:
    url = ws_url(sim)
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_str(msg("a", "Hello world. ", cont=True))
        await ws.send_str(msg("b", "Second voice. ", cont=False, stamps=False))
        await ws.send_str(msg("c", "Never finished. ", cont=True))
        await ws.send_str(json.dumps({"context_id": "c", "cancel": True}))
        await ws.send_str(msg("a", "Bye now.", cont=True))
        await ws.send_str(msg("a", " ", cont=False))
        messages = await _ws_messages(ws, n_done=2)

    by_ctx: dict[str, list[dict[str, Any]]] = {}
    for m in messages:
        by_ctx.setdefault(m["context_id"], []).append(m)
    assert by_ctx["a"][-1]["done"] is True and by_ctx["b"][-1]["done"] is True
    audio_a = b"".join(base64.b64decode(m["data"]) for m in by_ctx["a"] if "data" in m)
    expected = speech_duration_s("Hello world. Bye now.")  # one voice on, a word gap between
    assert len(audio_a) / 2 / 8000 == pytest.approx(expected, abs=0.01)
    stamps = [m["word_timestamps"] for m in by_ctx["a"] if "word_timestamps" in m]
    starts = dict(
        zip(
            (w for s in stamps for w in s["words"]),
            (t for s in stamps for t in s["start"]),
            strict=True,
        )
    )
    assert list(starts) == ["Hello", "world.", "Bye", "now."]
    gap = SECONDS_PER_CHAR  # the space between the two pieces
    assert starts["Bye"] == pytest.approx(speech_duration_s("Hello world.") + gap, abs=0.01)
    # streamed with the audio: each word's timestamp comes with the chunk it starts in
    assert len(stamps) == 4
    assert not any("word_timestamps" in m for m in by_ctx["b"])
    assert all(m.get("done") is not True for m in by_ctx.get("c", []))
    requests = {r.context_id: r for r in sim.received.tts_requests}
    assert requests["c"].cancelled and not requests["c"].done
    assert requests["a"].text == "Hello world. Bye now."


def _audio_s(messages: list[dict[str, Any]]) -> float:
    return sum(len(base64.b64decode(m["data"])) for m in messages if "data" in m) / 2 / 8000


async def test_text_is_held_until_a_sentence_ends_unless_buffering_is_off(
    sim: ProviderSimulator,
) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url(sim)) as ws:
        await ws.send_str(msg("held", "Your order ", cont=True))
        await ws.send_str(msg("held", "has shipped. And ", cont=True))
        await ws.send_str(msg("now", "Your order ", cont=True, max_buffer_delay_ms=0))
        first = [json.loads((await ws.receive(timeout=10)).data) for _ in range(3)]
        assert {m["context_id"] for m in first if "data" in m} <= {"now", "held"}
        await ws.send_str(msg("held", "more.", cont=False))
        await ws.send_str(msg("now", "", cont=False))
        messages = first + await _ws_messages(ws, n_done=2)
    held = [m for m in messages if m["context_id"] == "held"]
    # the complete sentence was spoken as one piece; the rest only once the context ended
    assert _audio_s(held) == pytest.approx(
        speech_duration_s("Your order has shipped. And more."), abs=0.01
    )
    now = [m for m in messages if m["context_id"] == "now"]
    assert _audio_s(now) == pytest.approx(speech_duration_s("Your order"), abs=0.01)


async def test_flush_speaks_what_is_held_and_answers_flush_done(sim: ProviderSimulator) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url(sim)) as ws:
        await ws.send_str(msg("f", "One moment", cont=True, flush=True))
        await ws.send_str(msg("f", "please.", cont=False))
        messages = await _ws_messages(ws, n_done=1)
    types = [m["type"] for m in messages]
    assert types.count("flush_done") == 1 and types[-1] == "done"
    flushed = types.index("flush_done")
    assert {m["flush_id"] for m in messages[:flushed] if "data" in m} == {0}
    assert {m["flush_id"] for m in messages[flushed:] if "data" in m} == {1}
    assert messages[flushed]["flush_id"] == 0


async def test_a_failing_context_gets_an_error_with_its_status(sim: ProviderSimulator) -> None:
    sim.faults.inject("tts", "context_error")
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url(sim)) as ws:
        await ws.send_str(msg("bad", "Hello there.", cont=False))
        await ws.send_str(msg("good", "Hello there.", cont=False))
        messages = await _ws_messages(ws, n_done=2)
    [error] = [m for m in messages if m["context_id"] == "bad"]
    assert (error["type"], error["status_code"], error["done"]) == ("error", 500, True)
    assert _audio_s([m for m in messages if m["context_id"] == "good"]) > 0


async def test_a_wrong_key_is_refused_with_401(sim: ProviderSimulator) -> None:
    sim.behaviour.api_keys["cartesia"] = "right"
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(ws_url(sim), headers={"X-API-Key": "wrong"})
        assert refused.value.status == 401
        async with session.ws_connect(ws_url(sim), headers={"X-API-Key": "right"}) as ws:
            await ws.send_str(msg("ok", "Hi.", cont=False))
            assert (await _ws_messages(ws, n_done=1))[-1]["type"] == "done"
