"""Peak memory of a process running one voice call of our agent against the bare baseline agent.

Usage: python bench/memory.py [--repeats 3] [--turns 2]

Each call runs in a fresh process (harness.remote), as a worker job does: greeting, then
`--turns` caller turns with real-time audio against the provider simulators (served from this
process, so they are not counted). The child reports its peak resident set (getrusage
ru_maxrss, i.e. VmHWM) and its resident set after imports and after the greeting, to show where
memory goes. Calls alternate between the agents; medians are printed.
The last line is `rss_mb_ours=<x> rss_mb_baseline=<y>`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # allow `python bench/memory.py` from anywhere
    sys.path.insert(0, str(ROOT))

from harness import speak  # noqa: E402  (after the path fix above)
from harness.remote import CallOptions, RemoteCall  # noqa: E402
from harness.scenario import (  # noqa: E402
    NO_TOOL_QUESTION,
    ORDER_QUESTION,
    Question,
    benchmark_latency,
    support_script,
)
from simulators import ProviderSimulator, SimulatorThread  # noqa: E402

AGENTS = {
    "ours": ("harness.acme:prepare_acme", (NO_TOOL_QUESTION, ORDER_QUESTION)),
    "baseline": ("bench.baseline_agent:prepare_baseline", (NO_TOOL_QUESTION, NO_TOOL_QUESTION)),
}


def _mb(kb: int) -> float:
    return kb / 1024


async def one_call(
    sim: SimulatorThread, name: str, turns: int, workdir: Path, run_no: int
) -> dict[str, Any]:
    starter, questions = AGENTS[name]
    options = CallOptions(
        mode="pipeline",
        openai_url=sim.openai_base_url,
        deepgram_url=sim.deepgram_base_url,
        cartesia_url=sim.cartesia_base_url,
        workdir=str(workdir / f"{name}-{run_no}"),
        call_id=f"memory-{name}-{run_no}",
        starter=starter,
    )
    async with RemoteCall(options=options) as call:
        for i in range(turns):
            question: Question = questions[i % len(questions)]
            speech = await asyncio.to_thread(speak, question.spoken, directory=workdir / "caller")
            assert speech.path is not None
            sim.simulator.script.hear(question.heard)
            turn = await call.turn(speech.path, text=question.spoken)
            if turn["user_texts"] != [question.heard] or not turn["assistant"]:
                raise RuntimeError(f"{name}: unexpected turn {turn}")
    return call.summary


async def run(repeats: int, turns: int, workdir: Path) -> dict[str, list[dict[str, Any]]]:
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in AGENTS}
    with ProviderSimulator.run_in_thread(
        script=support_script(), latency=benchmark_latency()
    ) as sim:
        for run_no in range(repeats):
            names = list(AGENTS) if run_no % 2 == 0 else list(reversed(AGENTS))
            for name in names:
                summary = await one_call(sim, name, turns, workdir, run_no)
                results[name].append(summary)
                memory = summary["memory"]
                print(
                    f"run {run_no + 1} {name}: peak {_mb(memory['end']['ru_maxrss_kb']):.1f} MB",
                    file=sys.stderr,
                )
    return results


def report(results: dict[str, list[dict[str, Any]]], *, turns: int) -> dict[str, float]:
    print(
        f"peak RSS of one call per process: greeting + {turns} turns, pipeline mode, "
        f"{len(next(iter(results.values())))} runs per agent; {os.cpu_count()} CPUs"
    )
    print(f"{'agent':<9} {'start':>7} {'imports':>8} {'greeted':>8} {'peak':>7} {'modules':>8}")
    peaks: dict[str, float] = {}
    for name, runs in results.items():

        def median(stage: str, key: str = "VmRSS", runs: list[dict[str, Any]] = runs) -> float:
            return statistics.median(_mb(r["memory"][stage].get(key, 0)) for r in runs)

        peaks[name] = median("end", "ru_maxrss_kb")
        modules = statistics.median(r["modules"] for r in runs)
        print(
            f"{name:<9} {median('start'):>5.1f}MB {median('imported'):>6.1f}MB "
            f"{median('ready'):>6.1f}MB {peaks[name]:>5.1f}MB {modules:>8.0f}"
        )
    print(f"ours - baseline = {peaks['ours'] - peaks['baseline']:+.1f} MB at peak")
    print(f"rss_mb_ours={peaks['ours']:.1f} rss_mb_baseline={peaks['baseline']:.1f}")
    return peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="calls per agent")
    parser.add_argument("--turns", type=int, default=2, help="caller turns per call")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="acme-bench-memory-") as tmp:
        results = asyncio.run(run(args.repeats, args.turns, Path(tmp)))
    report(results, turns=args.turns)


if __name__ == "__main__":
    main()
