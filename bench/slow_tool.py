"""What a caller hears while an order lookup is slow: filler, answer, and the silences between.

Usage: python bench/slow_tool.py [--turns 3] [--delays 3.0,0.2] [--modes pipeline,realtime,...]

One call per mode and store delay, in this process, against the provider simulators with the
benchmarks' fixed latencies (harness.scenario.benchmark_latency). The caller asks an order's
status (espeak-ng speech, real time); the agent's tools reach the real SQLite store through a
delay in front of it (tests/resilience/slow_store.py). Per turn, from the end of the caller's
speech (the WAV's last speech sample leaving the microphone): the agent's first audio, the
filler (audio that started before the store answered), the answer (first audio after it), and
the longest silence in the agent's output until the answer started.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # allow `python bench/slow_tool.py` from anywhere
    sys.path.insert(0, str(ROOT))

from harness import CallerTurn, CallRunner, SimulatorUrls, speak  # noqa: E402
from harness.call_setup import CallSetup  # noqa: E402
from harness.record import TurnResult  # noqa: E402
from harness.scenario import ORDER_QUESTION, benchmark_latency, support_script  # noqa: E402
from simulators import ProviderSimulator  # noqa: E402
from tests.resilience.slow_store import SlowStore, slowed_acme  # noqa: E402


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def measure(turn: TurnResult, segments: list[Any], returned_at: float) -> dict[str, float | None]:
    """Seconds from the end of the caller's speech to each thing the caller heard."""
    end = turn.speech_end_at
    heard = [s for s in segments if s.started_at >= end and s.played_s > 0]
    before = [s for s in heard if s.started_at < returned_at]
    after = [s for s in heard if s.started_at >= returned_at]
    answer_at = after[0].started_at if after else None
    gap, quiet_since = 0.0, end
    for s in heard:
        if answer_at is not None and s.started_at > answer_at:
            break
        gap = max(gap, s.started_at - quiet_since)
        quiet_since = max(quiet_since, s.started_at + s.played_s)
    return {
        "first": heard[0].started_at - end if heard else None,
        "filler": before[0].started_at - end if before else None,
        "answer": answer_at - end if answer_at is not None else None,
        "gap": gap,
    }


async def run_one(
    mode: str, delay_s: float, turns: int, sim: ProviderSimulator, workdir: Path
) -> list[dict[str, float | None]]:
    speech = await asyncio.to_thread(speak, ORDER_QUESTION.spoken, directory=workdir / "caller")
    stores: list[SlowStore] = []
    setup = CallSetup(
        mode=mode,
        urls=SimulatorUrls.of(sim),
        workdir=workdir / f"{mode}-{delay_s}",
        call_id=f"bench-slow-{mode}-{delay_s}",
    )
    setup.workdir.mkdir(parents=True)
    rows = []
    async with CallRunner(setup=setup, starter=slowed_acme(delay_s, stores)) as call:
        for _ in range(turns):
            sim.script.hear(ORDER_QUESTION.heard)
            turn = await call.turn(CallerTurn(speech=speech))
            returned_at = stores[0].orders_returned_at[-1]
            rows.append(measure(turn, call.speaker.segments, returned_at))
    return rows


def _ms(values: list[float | None]) -> str:
    got = [v for v in values if v is not None]
    if not got:
        return "-"
    return f"{statistics.median(got) * 1000:.0f}/{max(got) * 1000:.0f}"


async def main_async(args: argparse.Namespace, workdir: Path) -> None:
    load = [loadavg()]
    results: list[tuple[str, float, list[dict[str, float | None]]]] = []
    async with ProviderSimulator(script=support_script(), latency=benchmark_latency()) as sim:
        for mode in args.modes.split(","):
            for delay in (float(d) for d in args.delays.split(",")):
                rows = await run_one(mode, delay, args.turns, sim, workdir)
                results.append((mode, delay, rows))
                print(f"{mode} {delay:.1f} s done, load {loadavg()}", file=sys.stderr)
    load.append(loadavg())
    print(
        f"slow tool: {args.turns} order questions per call; store delay per lookup as listed; "
        f"filler after 1.5 s of tool time; load average {' -> '.join(load)}"
    )
    print("figures: p50/max ms from the end of the caller's speech")
    print(
        f"{'mode':<14} {'store':>6} {'n':>2} {'first audio':>12} {'filler':>12} "
        f"{'answer':>12} {'longest gap':>12} {'fillers':>7}"
    )
    for mode, delay, rows in results:
        fillers = sum(1 for r in rows if r["filler"] is not None)
        print(
            f"{mode:<14} {delay:>5.1f}s {len(rows):>2} {_ms([r['first'] for r in rows]):>12} "
            f"{_ms([r['filler'] for r in rows]):>12} {_ms([r['answer'] for r in rows]):>12} "
            f"{_ms([r['gap'] for r in rows]):>12} {fillers:>7}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=3, help="order questions per call")
    parser.add_argument("--delays", default="3.0,0.2", help="store delays in seconds")
    parser.add_argument("--modes", default="pipeline,realtime,realtime_text")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="acme-bench-slow-tool-") as tmp:
        asyncio.run(main_async(args, Path(tmp)))


if __name__ == "__main__":
    main()
