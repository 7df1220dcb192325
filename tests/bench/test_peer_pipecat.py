"""The peer benchmark's Pipecat pipeline answers a caller's turn through the provider simulators."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import peer_env
from bench.peer_pipecat import PIPECAT, make_call
from bench.turn_latency import Contender
from harness import speak
from harness.scenario import ORDER_QUESTION, benchmark_latency, support_script
from simulators import ProviderSimulator

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not peer_env.installed(), reason="no .venv-peer (scripts/setup dev)"),
]


async def test_the_pipecat_pipeline_answers_an_order_question_from_our_store(
    tmp_path: Path,
) -> None:
    who = Contender(name="pipecat+tool", starter=PIPECAT, question=ORDER_QUESTION)
    speech = speak(ORDER_QUESTION.spoken, directory=tmp_path / "caller")
    assert speech.path is not None
    with ProviderSimulator.run_in_thread(
        script=support_script(), latency=benchmark_latency()
    ) as sim:
        sim.simulator.script.hear(ORDER_QUESTION.heard)
        async with make_call(who, sim, tmp_path) as call:
            turn = await call.turn(speech.path, text=ORDER_QUESTION.spoken)
        received = sim.simulator.received
    assert turn["user_texts"] == [ORDER_QUESTION.heard]
    assert turn["tool_calls"] == [{"name": "lookup_order", "arguments": {"order_id": "ACME-1042"}}]
    assert turn["latency_s"] is not None and turn["latency_s"] > 0
    # the tool answered from the seeded store, and the caller heard the model read it back
    [result] = received.tool_results
    assert result.name == "lookup_order" and "tracking number is" in result.output
    assert any("tracking number is" in text for text in received.tts_texts)
