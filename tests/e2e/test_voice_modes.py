"""A spoken order question becomes a spoken, tool-backed answer in every mode, offline.

Caller speech (espeak-ng) goes in at real-time pace; the agent is wired by the product's own
settings and call wiring and talks to the provider simulators and a real SQLite store.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from harness import CallerSpeech, CallerTurn, CallResult, SimulatorUrls, run_call
from simulators import ProviderSimulator, speech_duration_s
from simulators.audio import rms

from .conftest import GREETING, ORDER_HEARD, ORDER_ID, ORDER_SPOKEN, spoken_answer, stored_order

pytestmark = pytest.mark.integration

CALL_TIMEOUT_S = 90
# Metrics the framework puts on messages in each mode: realtime turn detection is server-side,
# so no end-of-turn figures, and realtime replies carry only the end-to-end latency.
USER_METRICS = {
    "pipeline": {"end_of_turn_delay", "transcription_delay"},
    "realtime": set(),
    "realtime_text": set(),
}
ASSISTANT_METRICS = {
    "pipeline": {"llm_node_ttft", "tts_node_ttfb", "e2e_latency"},
    "realtime": {"e2e_latency"},
    "realtime_text": {"e2e_latency"},
}


async def _order_call(
    mode: str, sim: ProviderSimulator, say: Callable[[str], CallerSpeech], workdir: Path
) -> CallResult:
    sim.script.hear(ORDER_HEARD)
    return await asyncio.wait_for(
        run_call(
            mode=mode,
            turns=[CallerTurn(speech=say(ORDER_SPOKEN))],
            urls=SimulatorUrls.of(sim),
            workdir=workdir,
            call_id=f"e2e-{mode}",
        ),
        CALL_TIMEOUT_S,
    )


def _assert_plausible_audio(pcm: bytes, seconds: float, *texts: str) -> None:
    """Audio as long as the simulator speaks `texts` (65 ms a character), and not silence."""
    expected = sum(speech_duration_s(text) for text in texts)
    assert abs(seconds - expected) <= 0.15 * expected + 0.2, (seconds, expected)
    assert rms(pcm) > 1000


def _said(mode: str, answer: str) -> list[str]:
    """What the agent says to the order question. In the pipeline the order is looked up
    before the model asks (agent/order_prefetch.py), so it answers at once; in the realtime
    modes the caller's words reach the agent after the reply started, so the model says a
    short phrase in the same response as its tool call, then answers."""
    return [answer] if mode == "pipeline" else [f"Let me pull up {ORDER_ID}.", answer]


@pytest.mark.parametrize("mode", ["pipeline", "realtime", "realtime_text"])
async def test_spoken_order_question_gets_a_spoken_tool_backed_answer(
    mode: str, sim: ProviderSimulator, say: Callable[[str], CallerSpeech], tmp_path: Path
) -> None:
    result = await _order_call(mode, sim, say, tmp_path)
    order = await stored_order(tmp_path, ORDER_ID)
    answer = spoken_answer(order)
    said = _said(mode, answer)
    assert result.greeting is not None
    [turn] = result.turns

    # what the simulated STT was scripted to hear, detected from the caller's audio
    assert turn.user_texts == [ORDER_HEARD]
    heard = (
        sim.received.stt_streams[0].transcripts
        if mode == "pipeline"
        else sim.received.realtime_sessions[0].transcripts
    )
    assert heard == [ORDER_HEARD]

    # the order was looked up on the real store (by the model's tool call, or before it asked)
    # and the model was given the lookup's output; in the pipeline it never asked for a tool
    records = result.transcript
    [tool] = [r for r in records if r["type"] == "tool_call"]
    assert tool["name"] == "lookup_order" and tool["is_error"] is False
    assert json.loads(tool["arguments"]) == {"order_id": ORDER_ID}
    assert order.status == "shipped" and order.carrier and order.tracking_number
    for fact in (order.order_id, order.carrier, order.tracking_number):
        assert fact in tool["output"]
    for item in order.items:
        assert item.product_name in tool["output"]
    assert {r.output for r in sim.received.tool_results} == {tool["output"]}
    asked_for_tools = [c for r in sim.received.replies for c in r.tool_calls]
    if mode == "pipeline":
        assert turn.tool_calls == [] and asked_for_tools == []
    else:
        [call] = turn.tool_calls
        assert call["output"] == tool["output"]
        assert [c.name for c in asked_for_tools] == ["lookup_order"]

    # the answer was spoken: text and audio
    assert [r["text"] for r in turn.assistant] == said
    assert not any(r["interrupted"] for r in turn.assistant)
    replies = [s for s in result.segments if s.started_at >= turn.started_at]
    _assert_plausible_audio(b"".join(s.pcm for s in replies), turn.reply_audio_s, *said)
    assert turn.reply_played_s == turn.reply_audio_s and not turn.interrupted
    assert turn.first_audio_at is not None and turn.first_audio_at > turn.speech_end_at
    [greeting] = result.greeting.assistant
    assert greeting["text"] == GREETING
    _assert_plausible_audio(result.segments[0].pcm, result.greeting.reply_audio_s, GREETING)

    # listening -> thinking -> speaking -> listening (a realtime preamble starts speaking at once)
    assert result.greeting.agent_states[-2:] == ["speaking", "listening"]
    if mode == "pipeline":
        assert turn.agent_states == ["thinking", "speaking", "listening"]
    assert turn.agent_states[-2:] == ["speaking", "listening"]

    # per-turn metrics on the messages
    reply = turn.assistant[0]
    assert set(turn.user_metrics) >= USER_METRICS[mode]
    assert set(reply["metrics"]) >= ASSISTANT_METRICS[mode]
    assert all(v >= 0 for v in (*turn.user_metrics.values(), *reply["metrics"].values()))

    # the call's transcript file, as support teams read it (in the order things were said)
    assert result.transcript_path == tmp_path / "transcripts" / f"e2e-{mode}.jsonl"
    in_order = sorted(records, key=lambda r: float(r["spoken_at"]))
    greeted, asked = in_order[:2]
    assert greeted["text"] == GREETING
    assert asked["role"] == "user" and asked["text"] == ORDER_HEARD
    assert asked["interrupted"] is False
    assert set(asked.get("metrics", {})) >= USER_METRICS[mode]
    answers = [r for r in in_order[2:] if r["type"] == "message"]
    assert [(r["role"], r["text"], r["interrupted"]) for r in answers] == [
        ("assistant", text, False) for text in said
    ]
    assert set(answers[0]["metrics"]) >= ASSISTANT_METRICS[mode]
    assert len(records) == 3 + len(said)
    assert not [e for e in result.events.events if e.kind == "error"]
