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


def _assert_plausible_audio(pcm: bytes, seconds: float, text: str) -> None:
    """Audio as long as the simulator speaks `text` (65 ms a character), and not silence."""
    expected = speech_duration_s(text)
    assert abs(seconds - expected) <= 0.15 * expected + 0.2, (seconds, expected)
    assert rms(pcm) > 1000


@pytest.mark.parametrize("mode", ["pipeline", "realtime", "realtime_text"])
async def test_spoken_order_question_gets_a_spoken_tool_backed_answer(
    mode: str, sim: ProviderSimulator, say: Callable[[str], CallerSpeech], tmp_path: Path
) -> None:
    result = await _order_call(mode, sim, say, tmp_path)
    order = await stored_order(tmp_path, ORDER_ID)
    answer = spoken_answer(order)
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

    # the tool ran on the real store and the model was given its output
    [call] = turn.tool_calls
    assert call["name"] == "lookup_order" and call["is_error"] is False
    assert json.loads(call["arguments"]) == {"order_id": ORDER_ID}
    assert order.status == "shipped" and order.carrier and order.tracking_number
    for fact in (order.order_id, order.carrier, order.tracking_number):
        assert fact in call["output"]
    for item in order.items:
        assert item.product_name in call["output"]
    assert [r.output for r in sim.received.tool_results] == [call["output"]]

    # the answer was spoken: text and audio
    [reply] = turn.assistant
    assert reply["text"] == answer and reply["interrupted"] is False
    replies = [s for s in result.segments if s.started_at >= turn.started_at]
    _assert_plausible_audio(b"".join(s.pcm for s in replies), turn.reply_audio_s, answer)
    assert turn.reply_played_s == turn.reply_audio_s and not turn.interrupted
    assert turn.first_audio_at is not None and turn.first_audio_at > turn.speech_end_at
    [greeting] = result.greeting.assistant
    assert greeting["text"] == GREETING
    _assert_plausible_audio(result.segments[0].pcm, result.greeting.reply_audio_s, GREETING)

    # listening -> thinking -> speaking -> listening
    assert result.greeting.agent_states[-2:] == ["speaking", "listening"]
    assert turn.agent_states == ["thinking", "speaking", "listening"]

    # per-turn metrics on the messages
    assert set(turn.user_metrics) >= USER_METRICS[mode]
    assert set(reply["metrics"]) >= ASSISTANT_METRICS[mode]
    assert all(v >= 0 for v in (*turn.user_metrics.values(), *reply["metrics"].values()))

    # the call's transcript file, as support teams read it
    assert result.transcript_path == tmp_path / "transcripts" / f"e2e-{mode}.jsonl"
    records = result.transcript
    assert [(r["type"], r.get("role")) for r in records] == [
        ("message", "assistant"),
        ("message", "user"),
        ("tool_call", None),
        ("message", "assistant"),
    ]
    greeted, asked, tool, answered = records
    assert greeted["text"] == GREETING
    assert asked["text"] == ORDER_HEARD and asked["interrupted"] is False
    assert set(asked.get("metrics", {})) >= USER_METRICS[mode]
    assert tool["name"] == "lookup_order" and tool["output"] == call["output"]
    assert json.loads(tool["arguments"]) == {"order_id": ORDER_ID}
    assert answered["text"] == answer and answered["interrupted"] is False
    assert set(answered["metrics"]) >= ASSISTANT_METRICS[mode]
    assert not [e for e in result.events.events if e.kind == "error"]
