"""How long a caller waits when a provider fails mid-call and the fallback takes over.

Usage: python bench/failover.py [--rounds 3]

One voice call per scenario (our agent, pipeline mode, agent/call.py wiring), the primaries on
one simulator and the fallbacks on another, both with the benchmark latencies. Each call has a
normal turn, then the fault, then a turn answered through the fallback, then one more. For each
turn: end of the caller's speech to the agent's first audio (wall clock). The extra wait of the
failover turn over the normal one is the price of the failure; a stall costs about its timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # allow `python bench/failover.py` from anywhere
    sys.path.insert(0, str(ROOT))

from harness import CallerTurn, CallRunner, CallSetup, SimulatorUrls, speak  # noqa: E402
from harness.scenario import ORDER_QUESTION, benchmark_latency, support_script  # noqa: E402
from simulators import FaultKind, ProviderSimulator, Stage  # noqa: E402

FALLBACKS = {
    "ACME_FALLBACK_STT": "openai",
    "ACME_FALLBACK_LLM_MODEL": "gpt-4o-mini",
    "ACME_FALLBACK_TTS": "openai",
}


@dataclass(frozen=True, kw_only=True)
class Scenario:
    name: str
    stage: Stage
    kind: FaultKind


SCENARIOS = [
    Scenario(name="llm stalls (no first token)", stage="llm", kind="stall"),
    Scenario(name="llm answers 500", stage="llm", kind="http_500"),
    Scenario(name="llm answers 429", stage="llm", kind="http_429"),
    Scenario(name="tts stalls (no audio)", stage="tts", kind="stall"),
    Scenario(name="tts sends a bad message", stage="tts", kind="malformed"),
]


async def one_call(scenario: Scenario, workdir: Path) -> list[float]:
    """Latencies of the normal turn, the failover turn and the turn after it."""
    speech = await asyncio.to_thread(speak, ORDER_QUESTION.spoken, directory=workdir / "speech")
    latency = benchmark_latency()
    async with (
        ProviderSimulator(script=support_script(), latency=latency) as primary,
        ProviderSimulator(script=support_script(), latency=latency) as backup,
    ):
        environ = {
            **FALLBACKS,
            "ACME_OPENAI_BASE_URL": backup.openai_base_url,  # OpenAI STT and TTS fallbacks
            "ACME_FALLBACK_LLM_BASE_URL": backup.openai_base_url,
            "ACME_FALLBACK_LLM_API_KEY": "simulated",
        }
        setup = CallSetup(
            mode="pipeline",
            urls=SimulatorUrls.of(primary),
            workdir=workdir,
            call_id=f"failover-{scenario.stage}-{scenario.kind}",
            environ=environ,
        )
        latencies = []
        async with CallRunner(setup=setup) as call:
            for turn in range(3):
                for sim in (primary, backup):
                    sim.script.hear(ORDER_QUESTION.heard)
                if turn == 1:
                    primary.faults.inject(scenario.stage, scenario.kind)
                result = await call.turn(CallerTurn(speech=speech))
                if result.latency_s is None:
                    raise RuntimeError(f"{scenario.name}: turn {turn} got no audio")
                latencies.append(result.latency_s)
        if primary.faults.fired(scenario.stage, scenario.kind) != 1:
            raise RuntimeError(f"{scenario.name}: the fault did not fire")
        return latencies


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.ERROR)  # the failures are expected; only the figures are printed
    print("scenario                        normal_s  failover_s  extra_s  after_s")
    for scenario in SCENARIOS:
        rows = []
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as tmp:
                rows.append(await one_call(scenario, Path(tmp)))
        normal, failover, after = (statistics.median(col) for col in zip(*rows, strict=True))
        print(
            f"{scenario.name:<31} {normal:8.2f}  {failover:10.2f}  {failover - normal:7.2f}"
            f"  {after:7.2f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
