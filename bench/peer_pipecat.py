"""Voice turn latency of our agent against a standard Pipecat pipeline, through real audio I/O.

Usage: python bench/peer_pipecat.py [--turns 10] [--warmup 2]

Four calls at once, each in its own process, against one set of provider simulators with
bench/turn_latency.py's fixed latencies (harness.scenario.benchmark_latency) and questions:
  ours         our agent (harness.remote, as bench/turn_latency.py runs it), no-tool question
  ours+tool    our agent, the order question (lookup_order on the real SQLite store)
  pipecat      bench/peer_pipeline.py in .venv-peer: Silero VAD, Deepgram STT, OpenAI LLM,
               Cartesia TTS, Pipecat's default turn strategies; the no-tool question
  pipecat+tool the same pipeline, the order question (its lookup_order calls tools.SupportDesk)
Turns are interleaved call by call in a rotating order after uncounted warm-up turns. For each
turn: end of the caller's speech (the WAV's last speech sample leaving the microphone) to the
agent's first audio frame at the loudspeaker, by wall clock, both paced in real time.
The last line is `peer_ratio=<p50 ours / p50 pipecat>` for the no-tool question.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import os
import statistics
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # allow `python bench/peer_pipecat.py` from anywhere
    sys.path.insert(0, str(ROOT))

from bench import peer_env  # noqa: E402  (after the path fix above)
from bench.turn_latency import OURS, Contender, _turn, loadavg, percentile  # noqa: E402
from harness import speak  # noqa: E402
from harness.remote import CallOptions, RemoteCall  # noqa: E402
from harness.scenario import (  # noqa: E402
    NO_TOOL_QUESTION,
    ORDER_QUESTION,
    benchmark_latency,
    support_script,
)
from simulators import ProviderSimulator, SimulatorThread  # noqa: E402

PIPECAT = "pipecat"


class PeerCall(RemoteCall):
    """A call of bench/peer_pipeline.py's Pipecat pipeline, in Pipecat's own environment."""

    def command(self) -> list[str]:
        options = json.dumps(asdict(self.options))
        pipeline = str(ROOT / "bench" / "peer_pipeline.py")
        return [str(peer_env.PYTHON), pipeline, "--options", options]


def contenders() -> list[Contender]:
    return [
        Contender(name="ours", starter=OURS, question=NO_TOOL_QUESTION),
        Contender(name="pipecat", starter=PIPECAT, question=NO_TOOL_QUESTION),
        Contender(name="ours+tool", starter=OURS, question=ORDER_QUESTION),
        Contender(name="pipecat+tool", starter=PIPECAT, question=ORDER_QUESTION),
    ]


def make_call(who: Contender, sim: SimulatorThread, workdir: Path) -> RemoteCall:
    slug = who.name.replace("+", "_")
    options = CallOptions(
        mode="pipeline",
        openai_url=sim.openai_base_url,
        deepgram_url=sim.deepgram_base_url,
        cartesia_url=sim.cartesia_base_url,
        workdir=str(workdir / slug),
        call_id=f"bench-{slug}",
        starter=who.starter,
    )
    return PeerCall(options=options) if who.starter == PIPECAT else RemoteCall(options=options)


async def run(turns: int, warmup: int, workdir: Path, who_runs: list[Contender]) -> None:
    for who in who_runs:
        who.speech = await asyncio.to_thread(
            speak, who.question.spoken, directory=workdir / "caller"
        )
    with ProviderSimulator.run_in_thread(
        script=support_script(), latency=benchmark_latency()
    ) as sim:
        calls = [make_call(who, sim, workdir) for who in who_runs]
        async with contextlib.AsyncExitStack() as stack:
            for call in calls:  # one at a time: startup is not what is measured
                await stack.enter_async_context(call)
            for round_no in range(warmup + turns):
                shift = round_no % len(who_runs)
                for i in [*range(shift, len(who_runs)), *range(shift)]:
                    turn = await _turn(sim, calls[i], who_runs[i])
                    if round_no >= warmup:
                        who_runs[i].turns.append(turn)
                    else:
                        who_runs[i].late_before = turn["late_frames"]
                print(f"round {round_no + 1}/{warmup + turns} load {loadavg()}", file=sys.stderr)


def report(who_ran: list[Contender], *, turns: int, warmup: int, load: list[str]) -> float:
    lat = benchmark_latency()
    versions = (
        f"livekit-agents {importlib.metadata.version('livekit-agents')}, "
        f"pipecat-ai {peer_env.version('pipecat-ai')}"
    )
    print(
        f"peer turn latency ({versions}): {turns} counted turns per call after {warmup} "
        f"warm-up turns, interleaved; simulated STT final {lat.stt_final_s * 1000:.0f} ms, "
        f"LLM TTFT {lat.llm_ttft_s * 1000:.0f} ms at {lat.llm_tokens_per_s:.0f} tok/s, "
        f"TTS TTFB {lat.tts_ttfb_s * 1000:.0f} ms; {os.cpu_count()} CPUs; "
        f"load average {' -> '.join(load)}"
    )
    print(
        f"{'call':<13} {'n':>3} {'io p50':>8} {'io p95':>8} {'io min':>8} {'io max':>8} {'late':>4}"
    )
    p50: dict[str, float] = {}
    for who in who_ran:
        io = [t["latency_s"] for t in who.turns]
        p50[who.name] = statistics.median(io)
        late = who.turns[-1]["late_frames"] - who.late_before
        print(
            f"{who.name:<13} {len(io):>3} {p50[who.name] * 1000:>6.0f}ms "
            f"{percentile(io, 95) * 1000:>6.0f}ms {min(io) * 1000:>6.0f}ms "
            f"{max(io) * 1000:>6.0f}ms {late:>4}"
        )
    tool_ratio = p50["ours+tool"] / p50["pipecat+tool"]
    print(
        f"no-tool turn: ours - pipecat = {(p50['ours'] - p50['pipecat']) * 1000:+.0f} ms at p50; "
        f"order turn: ours - pipecat = {(p50['ours+tool'] - p50['pipecat+tool']) * 1000:+.0f} ms "
        f"at p50 (peer_ratio_tool={tool_ratio:.3f})"
    )
    ratio = p50["ours"] / p50["pipecat"]
    print(f"peer_ratio={ratio:.3f}")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=10, help="counted turns per call")
    parser.add_argument("--warmup", type=int, default=2, help="uncounted turns per call first")
    args = parser.parse_args()
    peer_env.ensure()
    load = [loadavg()]
    who_runs = contenders()
    with tempfile.TemporaryDirectory(prefix="acme-bench-peer-") as tmp:
        asyncio.run(run(args.turns, args.warmup, Path(tmp), who_runs))
    load.append(loadavg())
    report(who_runs, turns=args.turns, warmup=args.warmup, load=load)


if __name__ == "__main__":
    main()
