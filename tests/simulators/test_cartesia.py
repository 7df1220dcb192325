"""The real cartesia.TTS plugin against the Cartesia simulator, plus raw multi-context use."""

from __future__ import annotations

import base64
import json
from typing import Any

import aiohttp
import pytest
from livekit.plugins import cartesia

from simulators import ProviderSimulator, speech_duration_s

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


async def test_contexts_interleave_continue_cancel_and_timestamps(sim: ProviderSimulator) -> None:
    url = sim.cartesia_base_url.replace("http", "ws") + "/tts/websocket?cartesia_version=x"
    fmt = {"container": "raw", "encoding": "pcm_s16le", "sample_rate": 8000}

    def msg(ctx: str, text: str, *, cont: bool, stamps: bool = True) -> str:
        return json.dumps(
            {
                "model_id": "sonic-3",
                "voice": {"mode": "id", "id": "v"},
                "output_format": fmt,
                "context_id": ctx,
                "transcript": text,
                "continue": cont,
                "add_timestamps": stamps,
            }
        )

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
    expected = speech_duration_s("Hello world.") + speech_duration_s("Bye now.")
    assert len(audio_a) / 2 / 8000 == pytest.approx(expected, abs=0.01)
    stamps = [m["word_timestamps"] for m in by_ctx["a"] if "word_timestamps" in m]
    assert [w for s in stamps for w in s["words"]] == ["Hello", "world.", "Bye", "now."]
    assert stamps[1]["start"][0] == pytest.approx(speech_duration_s("Hello world."), abs=0.01)
    assert not any("word_timestamps" in m for m in by_ctx["b"])
    assert all(m.get("done") is not True for m in by_ctx.get("c", []))
    requests = {r.context_id: r for r in sim.received.tts_requests}
    assert requests["c"].cancelled and not requests["c"].done
    assert requests["a"].text == "Hello world. Bye now."
