"""A call in its own process, driven turn by turn: what the benchmarks and load tests build on."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import SpeechToolsMissing, read_transcript, speak
from harness.remote import CallOptions, RemoteCall, RemoteCallError
from harness.scenario import ORDER_QUESTION, benchmark_latency, support_script
from simulators import ProviderSimulator, SimulatorThread

pytestmark = pytest.mark.integration


@pytest.fixture
def sim() -> Iterator[SimulatorThread]:
    with ProviderSimulator.run_in_thread(
        script=support_script(), latency=benchmark_latency()
    ) as thread:
        yield thread


def _options(
    sim: SimulatorThread, workdir: Path, starter: str = "harness.acme:prepare_acme"
) -> CallOptions:
    return CallOptions(
        mode="pipeline",
        openai_url=sim.openai_base_url,
        deepgram_url=sim.deepgram_base_url,
        cartesia_url=sim.cartesia_base_url,
        workdir=str(workdir),
        call_id="remote-call",
        starter=starter,
    )


async def test_our_agent_answers_a_turn_in_a_child_process(
    sim: SimulatorThread, tmp_path: Path
) -> None:
    try:
        speech = speak(ORDER_QUESTION.spoken, directory=tmp_path / "caller")
    except SpeechToolsMissing as exc:
        pytest.skip(str(exc))
    assert speech.path is not None
    sim.simulator.script.hear(ORDER_QUESTION.heard)

    async with RemoteCall(options=_options(sim, tmp_path)) as call:
        turn = await call.turn(speech.path, text=ORDER_QUESTION.spoken)

    assert turn["user_texts"] == [ORDER_QUESTION.heard]
    assert turn["tool_calls"] == []  # looked up before the model asked (agent/order_prefetch.py)
    assert turn["assistant"][0]["text"].startswith("It shipped with")
    assert turn["latency_s"] > 0 and turn["e2e_latency"] > 0
    summary = call.summary
    memory = summary["memory"]
    assert memory["end"]["ru_maxrss_kb"] >= memory["ready"]["VmRSS"] > memory["start"]["VmRSS"]
    assert summary["errors"] == [] and summary["modules"] > 0
    transcript = await asyncio.to_thread(read_transcript, Path(summary["transcript_path"]))
    assert sorted((record["type"], record.get("name")) for record in transcript) == [
        ("message", None),
        ("message", None),
        ("message", None),
        ("tool_call", "lookup_order"),
    ]


async def test_a_child_that_cannot_start_reports_its_log(
    sim: SimulatorThread, tmp_path: Path
) -> None:
    options = _options(sim, tmp_path, starter="harness.no_such_module:prepare")
    with pytest.raises(RemoteCallError, match=r"No module named 'harness\.no_such_module'"):
        async with RemoteCall(options=options):
            pass
