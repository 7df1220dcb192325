"""CPU one call costs on the agent side: ours against the docs' baseline agent, and optionally
against our agent at another commit, measured side by side in one run.

Usage: python bench/call_cpu.py [--turns 4] [--repeats 2] [--before REV] [--profile [DIR]]

Each call runs alone in its own process (harness.remote, as worker jobs run); the provider
simulators serve from a thread of this process, so their CPU is not counted. Counted: the call
process's CPU time (all its threads, from /proc) from the moment it is greeted and ready until
its last turn has been answered, per turn and as a share of one core over that time. The caller
simulation (paced microphone, loudspeaker) runs in the call process too, identically for every
agent; `--profile` samples the call with py-spy and shows its share, so it can be subtracted
(py-spy's raw stacks are kept in DIR when given, for flame graphs).

`--before REV` also runs our agent as it was at REV (extracted with `git archive`, with the
current harness, bench and simulators), so "before"
and "after" figures come from the same run on the same machine load. Calls alternate agent by
agent, `--repeats` times. The last line is `cpu_per_call_ours=<% of a core>
cpu_per_call_baseline=<%>` (and `cpu_per_call_before=<%>` with `--before`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # allow `python bench/call_cpu.py` from anywhere
    sys.path.insert(0, str(ROOT))

from bench.load_cpu import ProcessCpu, loadavg  # noqa: E402  (after the path fix above)
from bench.profile_stacks import WAITING, categorize  # noqa: E402
from harness import speak  # noqa: E402
from harness.remote import CallOptions, RemoteCall  # noqa: E402
from harness.scenario import (  # noqa: E402
    NO_TOOL_QUESTION,
    ORDER_QUESTION,
    Question,
    benchmark_latency,
    support_script,
)
from harness.speech import CallerSpeech  # noqa: E402
from simulators import ProviderSimulator, SimulatorThread  # noqa: E402

OURS = "harness.acme:prepare_acme"
BASELINE = "bench.baseline_agent:prepare_baseline"
PY_SPY = Path(sys.executable).with_name("py-spy")
PROFILE_RATE = 100


@dataclass(kw_only=True)
class Agent:
    name: str
    starter: str
    question: Question
    root: Path = ROOT
    speech: CallerSpeech | None = None
    cpu_s: float = 0.0
    wall_s: float = 0.0
    turns: int = 0
    threads: Counter[str] = field(default_factory=Counter)
    samples: Counter[str] = field(default_factory=Counter)


def extract(rev: str, into: Path) -> Path:
    """The project tree at `rev` (tracked files only), in `into`, with today's harness and
    bench, so only the agent differs."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev],
        check=True,
        capture_output=True,
    ).stdout
    into.mkdir(parents=True)
    archive_path = into.with_suffix(".tar")
    archive_path.write_bytes(archive)
    with tarfile.open(archive_path) as tar:
        tar.extractall(into, filter="data")
    for shared in ("harness", "bench", "simulators"):
        shutil.rmtree(into / shared)
        shutil.copytree(ROOT / shared, into / shared)
    return into


async def _profiled(pid: int, out: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        str(PY_SPY),
        "record",
        "--pid",
        str(pid),
        "--rate",
        str(PROFILE_RATE),
        "--format",
        "raw",
        "--nonblocking",
        "--output",
        str(out),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def one_call(
    sim: SimulatorThread,
    who: Agent,
    *,
    turns: int,
    workdir: Path,
    profile: bool,
    profile_dir: Path | None,
    n: int,
) -> None:
    assert who.speech is not None and who.speech.path is not None
    options = CallOptions(
        mode="pipeline",
        openai_url=sim.openai_base_url,
        deepgram_url=sim.deepgram_base_url,
        cartesia_url=sim.cartesia_base_url,
        workdir=str(workdir / f"{who.name}-{n}"),
        call_id=f"cpu-{who.name}-{n}",
        starter=who.starter,
    )
    async with RemoteCall(options=options, root=who.root) as call:
        spy = None
        raw = (profile_dir or workdir) / f"{who.name}-{n}.spy"
        if profile:
            spy = await _profiled(call.pid, raw)
        before, started = ProcessCpu.read(call.pid), time.perf_counter()
        for _ in range(turns):
            sim.simulator.script.hear(who.question.heard)
            turn = await call.turn(who.speech.path, text=who.question.spoken)
            if turn["user_texts"] != [who.question.heard] or turn["latency_s"] is None:
                raise RuntimeError(f"{who.name}: unexpected turn {turn}")
        after, ended = ProcessCpu.read(call.pid), time.perf_counter()
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            await spy.wait()
    assert before is not None and after is not None
    used = after.since(before)
    who.cpu_s += used.total_s
    who.wall_s += ended - started
    who.turns += turns
    who.threads.update(used.threads)
    if profile and raw.exists():
        who.samples.update(categorize(raw.read_text()))


async def run(args: argparse.Namespace, workdir: Path) -> list[Agent]:
    agents = [
        Agent(name="baseline", starter=BASELINE, question=NO_TOOL_QUESTION),
        Agent(name="ours", starter=OURS, question=NO_TOOL_QUESTION),
        Agent(name="ours+tool", starter=OURS, question=ORDER_QUESTION),
    ]
    if args.before:
        tree = extract(args.before, workdir / "before")
        agents += [
            Agent(name="before", starter=OURS, question=NO_TOOL_QUESTION, root=tree),
            Agent(name="before+tool", starter=OURS, question=ORDER_QUESTION, root=tree),
        ]
    for who in agents:
        who.speech = await asyncio.to_thread(
            speak, who.question.spoken, directory=workdir / "caller"
        )
    with ProviderSimulator.run_in_thread(
        script=support_script(), latency=benchmark_latency()
    ) as sim:
        for n in range(args.repeats):
            order = agents[n % len(agents) :] + agents[: n % len(agents)]
            for who in order:
                await one_call(
                    sim,
                    who,
                    turns=args.turns,
                    workdir=workdir,
                    profile=args.profile is not None,
                    profile_dir=Path(args.profile) if args.profile else None,
                    n=n,
                )
                print(f"{who.name} call {n + 1} done, load {loadavg()}", file=sys.stderr)
    return agents


def report(agents: list[Agent], *, args: argparse.Namespace, load: list[str]) -> str:
    print(
        f"call CPU: {args.turns} turns per call, {args.repeats} call(s) per agent, one call at a "
        f"time; agent-side process only (simulators excluded); load average {' -> '.join(load)}"
    )
    print(f"{'agent':<12} {'turns':>5} {'% core':>7} {'cpu/turn':>9}  threads (% of one core)")
    for who in agents:
        top = ", ".join(
            f"{name} {100 * s / who.wall_s:.1f}" for name, s in who.threads.most_common(4)
        )
        print(
            f"{who.name:<12} {who.turns:>5} {100 * who.cpu_s / who.wall_s:>6.1f}% "
            f"{1000 * who.cpu_s / who.turns:>7.0f}ms  {top}"
        )
    if args.profile is not None:
        print("where the Python-visible CPU goes (py-spy samples, % of the agent's samples):")
        for who in agents:
            busy = Counter({k: n for k, n in who.samples.items() if k != WAITING})
            total = sum(busy.values()) or 1
            parts = ", ".join(f"{name} {100 * n / total:.0f}" for name, n in busy.most_common(9))
            print(f"  {who.name:<12} {parts}")
    share = {who.name: 100 * who.cpu_s / who.wall_s for who in agents}
    line = f"cpu_per_call_ours={share['ours']:.1f} cpu_per_call_baseline={share['baseline']:.1f}"
    if "before" in share:
        line += f" cpu_per_call_before={share['before']:.1f}"
    print(line)
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=4, help="counted turns per call")
    parser.add_argument("--repeats", type=int, default=2, help="calls per agent")
    parser.add_argument("--before", help="also run our agent as it was at this commit")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="",
        help="sample each call with py-spy (and keep the raw stacks in this folder)",
    )
    args = parser.parse_args()
    if args.profile is not None and not PY_SPY.exists():
        parser.error(f"--profile needs py-spy ({PY_SPY}); run scripts/setup dev")
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    load = [loadavg()]
    with tempfile.TemporaryDirectory(prefix="acme-bench-cpu-") as tmp:
        agents = asyncio.run(run(args, Path(tmp)))
    load.append(loadavg())
    report(agents, args=args, load=load)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
