"""The peer benchmark's Pipecat pipeline answers a caller's turn through the provider simulators."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import peer_env
from bench.peer_pipecat import PIPECAT, make_call
from bench.turn_latency import Contender
from harness import speak
from harness.scenario import NO_TOOL_ANSWER, NO_TOOL_QUESTION, benchmark_latency, support_script
from simulators import ProviderSimulator

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not peer_env.installed(), reason="no .venv-peer (scripts/setup dev)"),
]


async def test_the_pipecat_pipeline_answers_a_spoken_question(tmp_path: Path) -> None:
    who = Contender(name="pipecat", starter=PIPECAT, question=NO_TOOL_QUESTION)
    speech = speak(NO_TOOL_QUESTION.spoken, directory=tmp_path / "caller")
    assert speech.path is not None
    with ProviderSimulator.run_in_thread(
        script=support_script(), latency=benchmark_latency()
    ) as sim:
        sim.simulator.script.hear(NO_TOOL_QUESTION.heard)
        async with make_call(who, sim, tmp_path) as call:
            turn = await call.turn(speech.path, text=NO_TOOL_QUESTION.spoken)
        received = sim.simulator.received
    assert turn["user_texts"] == [NO_TOOL_QUESTION.heard]
    assert turn["latency_s"] is not None and turn["latency_s"] > 0
    assert [r for r in received.stt_streams if r.audio_bytes] != []
    assert received.tts_texts[-1] == NO_TOOL_ANSWER  # the greeting first, then the answer
