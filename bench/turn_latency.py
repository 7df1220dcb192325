"""Voice turn latency of our agent against a bare LiveKit agent, through real audio I/O, per mode.

Usage: python bench/turn_latency.py [--mode pipeline|realtime|realtime_text] [--turns 20]
                                    [--warmup 2]

Three calls run at once, each in its own process (as worker jobs do), against one set of
provider simulators with fixed latencies (harness.scenario.benchmark_latency):
  baseline  bench/baseline_agent.py (the docs' minimal agent of that mode), asked a question
            that needs no tool
  ours      our agent (agent/call.py wiring, the chosen mode), the same question
  ours+tool our agent asked an order's status (lookup_order on the real SQLite store)
Turns are interleaved call by call, in a rotating order, after warm-up turns that are not
counted, so background load hits all three alike. For each turn: end of the caller's speech
(the WAV's last speech sample leaving the microphone) to the agent's first audio frame at the
loudspeaker, by wall clock, and the framework's own e2e_latency. `guard`: how often the reply
guard recovered a silent turn in our calls (from their records; 0 on a healthy run).
The last line is `overhead_ratio=<p50 ours / p50 baseline>` for the no-tool question.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # allow `python bench/turn_latency.py` from anywhere
    sys.path.insert(0, str(ROOT))

from harness import CallerSpeech, speak  # noqa: E402  (after the path fix above)
from harness.acme import acme_stt_split_s  # noqa: E402
from harness.paused_speech import heard_pieces, stt_split_s  # noqa: E402
from harness.remote import CallOptions, RemoteCall  # noqa: E402
from harness.scenario import (  # noqa: E402
    NO_TOOL_QUESTION,
    ORDER_QUESTION,
    Question,
    benchmark_latency,
    support_script,
)
from simulators import ProviderSimulator, SimulatorThread  # noqa: E402

BASELINE = "bench.baseline_agent:prepare_baseline"
OURS = "harness.acme:prepare_acme"
MODES = ("pipeline", "realtime", "realtime_text")


@dataclass(kw_only=True)
class Contender:
    name: str
    starter: str
    question: Question
    speech: CallerSpeech | None = None
    split_s: float = field(default_factory=stt_split_s)
    """Silence that ends an utterance on this agent's STT stream (what the STT hears at once)."""
    turns: list[dict[str, Any]] = field(default_factory=list)
    late_before: int = 0  # microphone frames delivered late before the counted turns
    guard: int | None = None  # reply guard firings in the call's records (ours only)


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median(values: list[float]) -> float:
    """The median, or NaN when the framework gave no such figure (realtime turns have no
    end-of-turn delay, and a baseline without a local VAD no end-to-end latency)."""
    return statistics.median(values) if values else float("nan")


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


async def _turn(sim: SimulatorThread, call: RemoteCall, who: Contender) -> dict[str, Any]:
    assert who.speech is not None and who.speech.path is not None
    pieces = heard_pieces(who.question.heard, who.split_s)
    sim.simulator.script.hear(*pieces)
    turn = await call.turn(who.speech.path, text=who.question.spoken)
    expected = who.question.heard
    if len(pieces) > 1 and sim.simulator.script.hears == pieces[1:]:
        # the STT took the sentences as one utterance after all, with one final at the end
        sim.simulator.script.hears.clear()
        expected = pieces[0]
    if turn["user_texts"] != [expected] or turn["latency_s"] is None:
        raise RuntimeError(f"{who.name}: unexpected turn {turn}")
    leftover = sim.simulator.script.hears
    if leftover:
        raise RuntimeError(f"{who.name}: the STT did not hear the turn ({leftover})")
    return turn


async def run(turns: int, warmup: int, workdir: Path, *, mode: str) -> list[Contender]:
    ours_split_s = acme_stt_split_s()
    contenders = [
        Contender(name="baseline", starter=BASELINE, question=NO_TOOL_QUESTION),
        Contender(name="ours", starter=OURS, question=NO_TOOL_QUESTION, split_s=ours_split_s),
        Contender(name="ours+tool", starter=OURS, question=ORDER_QUESTION, split_s=ours_split_s),
    ]
    for who in contenders:
        who.speech = await asyncio.to_thread(
            speak, who.question.spoken, directory=workdir / "caller"
        )
    with ProviderSimulator.run_in_thread(
        script=support_script(), latency=benchmark_latency()
    ) as sim:
        calls = [
            RemoteCall(
                options=CallOptions(
                    mode=mode,
                    openai_url=sim.openai_base_url,
                    deepgram_url=sim.deepgram_base_url,
                    cartesia_url=sim.cartesia_base_url,
                    workdir=str(workdir / who.name.replace("+", "_")),
                    call_id=f"bench-{who.name.replace('+', '_')}",
                    starter=who.starter,
                )
            )
            for who in contenders
        ]
        async with contextlib.AsyncExitStack() as stack:
            for call in calls:  # one at a time: startup is not what is measured
                await stack.enter_async_context(call)
            for round_no in range(warmup + turns):
                shift = round_no % len(contenders)
                for i in [*range(shift, len(contenders)), *range(shift)]:
                    turn = await _turn(sim, calls[i], contenders[i])
                    if round_no >= warmup:
                        contenders[i].turns.append(turn)
                    else:
                        contenders[i].late_before = turn["late_frames"]
                print(f"round {round_no + 1}/{warmup + turns} load {loadavg()}", file=sys.stderr)
    for who in contenders:
        if who.starter == OURS:
            who.guard = guard_firings(workdir / who.name.replace("+", "_") / "transcripts")
    return contenders


def guard_firings(spools: Path) -> int:
    """Reply guard events in the call records spooled under `spools`."""
    from agent.behaviors.reply_guard import EVENT_KIND

    lines = [line for path in spools.glob("*.jsonl") for line in path.read_text().splitlines()]
    events = (json.loads(line) for line in lines if line.strip())
    return sum(1 for r in events if r.get("type") == "event" and r.get("kind") == EVENT_KIND)


def report(
    contenders: list[Contender], *, turns: int, warmup: int, load: list[str], mode: str
) -> float:
    lat = benchmark_latency()
    print(
        f"voice turn latency: {turns} counted turns per agent after {warmup} warm-up turns, "
        f"interleaved; {mode} mode; simulated STT final {lat.stt_final_s * 1000:.0f} ms, "
        f"LLM TTFT {lat.llm_ttft_s * 1000:.0f} ms at {lat.llm_tokens_per_s:.0f} tok/s, "
        f"TTS TTFB {lat.tts_ttfb_s * 1000:.0f} ms, Realtime first audio "
        f"{lat.realtime_first_audio_s * 1000:.0f} ms; {os.cpu_count()} CPUs; "
        f"load average {' -> '.join(load)}"
    )
    print(
        f"{'agent':<10} {'n':>3} {'io p50':>8} {'io p95':>8} {'e2e p50':>8} {'e2e p95':>8} "
        f"{'eot p50':>8} {'held':>4} {'late':>4} {'guard':>5}"
    )
    p50: dict[str, float] = {}
    for who in contenders:
        io = [t["latency_s"] for t in who.turns]
        e2e = [t["e2e_latency"] for t in who.turns if t["e2e_latency"] is not None]
        eot = [t["user_metrics"].get("end_of_turn_delay", float("nan")) for t in who.turns]
        held = sum(1 for v in eot if v > 1.0)  # the turn detector waited for more speech
        late = who.turns[-1]["late_frames"] - who.late_before  # a starved event loop
        p50[who.name] = statistics.median(io)
        print(
            f"{who.name:<10} {len(io):>3} {p50[who.name] * 1000:>6.0f}ms "
            f"{percentile(io, 95) * 1000:>6.0f}ms {median(e2e) * 1000:>6.0f}ms "
            f"{percentile(e2e, 95) * 1000:>6.0f}ms {median(eot) * 1000:>6.0f}ms "
            f"{held:>4} {late:>4} {'-' if who.guard is None else who.guard:>5}"
        )
    ratio = p50["ours"] / p50["baseline"]
    print(
        f"no-tool turn: ours - baseline = {(p50['ours'] - p50['baseline']) * 1000:+.0f} ms at p50; "
        f"order turn p50 {p50['ours+tool'] * 1000:.0f} ms "
        f"({(p50['ours+tool'] - p50['ours']) * 1000:+.0f} ms against the no-tool turn)"
    )
    print(f"overhead_ratio={ratio:.3f}")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=20, help="counted turns per agent")
    parser.add_argument("--warmup", type=int, default=2, help="uncounted turns per agent first")
    parser.add_argument(
        "--mode", choices=MODES, default="pipeline", help="the agents' mode (default pipeline)"
    )
    args = parser.parse_args()
    load = [loadavg()]
    with tempfile.TemporaryDirectory(prefix="acme-bench-latency-") as tmp:
        contenders = asyncio.run(run(args.turns, args.warmup, Path(tmp), mode=args.mode))
    load.append(loadavg())
    report(contenders, turns=args.turns, warmup=args.warmup, load=load, mode=args.mode)


if __name__ == "__main__":
    main()
