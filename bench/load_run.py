"""Runs one phase of the load bench: N calls at once, each in its own process, turns staggered.

Every call is a `harness.remote` child (our agent, real Silero VAD and turn detector, real
plugins, the shared SQLite store) talking to its own simulator in one simulator process
(`bench.load_sim`). All calls are started together and greeted; then call i begins its turns
`i * window / N` seconds after the last one is ready, and each talks through its turns on its
own. Calls stay connected (listening) until every call has finished its turns, so every
measured turn happens with all N calls live. CPU time is read from /proc at both ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from bench.load_cpu import MachineCpu, ProcessCpu, children
from bench.load_sim import PREFIX as SIM_PREFIX
from harness.remote import CallOptions, RemoteCall
from harness.scenario import ORDER_QUESTION, Question
from harness.speech import CallerSpeech
from simulators import Latency

ROOT = Path(__file__).resolve().parents[1]
SIM_STOP_TIMEOUT_S = 10.0


def call_plan(turns: int, *, rounds: int = 1) -> list[Question]:
    """What a call says, turn by turn: `turns` questions, `rounds` times over.

    Every turn asks for an order's status: the heavier turn (a tool call, a store lookup and a
    second LLM round). The question that needs no tool is left out on purpose: the default turn
    detector judges that espeak-ng sentence unfinished in roughly one turn in fifteen and holds
    it for the 2.5 s maximum endpointing delay, so a p95 over a few dozen turns would hinge on
    how many such holds landed in each phase rather than on the load. The order question was not
    held once in about 500 turns of trial runs; holds are still counted and reported.
    """
    return [ORDER_QUESTION] * (turns * rounds)


class SimProcess:
    """The simulator process for one phase: `ports[i]` serves call i."""

    def __init__(self, *, hears: list[list[str]], latency: Latency, log_path: Path) -> None:
        self._config = {"hears": hears, "latency": asdict(latency)}
        self._log_path = log_path
        self._log: TextIO | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self.ports: list[int] = []
        self.stats: dict[str, Any] = {}

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    async def __aenter__(self) -> SimProcess:
        self._log = self._log_path.open("w")  # closed in _stop
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.load_sim",
            "--config",
            json.dumps(self._config),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._log,
            cwd=ROOT,
        )
        try:
            self.ports = (await self._expect("ready"))["ports"]
        except BaseException:
            await self._stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is None and self._proc is not None and self._proc.stdin is not None:
                self._proc.stdin.write(b"stop\n")
                await self._proc.stdin.drain()
                self.stats = await asyncio.wait_for(self._expect("stats"), SIM_STOP_TIMEOUT_S)
        finally:
            await self._stop()

    async def _expect(self, event: str) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        while True:
            line = await self._proc.stdout.readline()
            if not line:
                raise RuntimeError(f"simulator process ended before {event!r}")
            text = line.decode()
            if text.startswith(SIM_PREFIX):
                message: dict[str, Any] = json.loads(text[len(SIM_PREFIX) :])
                if message["event"] == event:
                    return message

    async def _stop(self) -> None:
        proc = self._proc
        if proc is not None:
            if proc.stdin is not None and not proc.stdin.is_closing():
                proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), SIM_STOP_TIMEOUT_S)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


class Gate:
    """Opens once all `parties` have arrived (a call that failed arrives too)."""

    def __init__(self, parties: int) -> None:
        self._left = parties
        self._open = asyncio.Event()
        self.opened_at = 0.0
        if parties <= 0:
            self._open_now()

    def _open_now(self) -> None:
        self.opened_at = time.perf_counter()
        self._open.set()

    def arrive(self) -> None:
        self._left -= 1
        if self._left == 0:
            self._open_now()

    async def wait(self) -> None:
        await self._open.wait()


@dataclass(kw_only=True)
class CallOutcome:
    index: int
    call_id: str
    questions: list[Question]
    turns: list[dict[str, Any]] = field(default_factory=list)
    failure: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    transcript_path: Path | None = None
    """The call's spool, known once it is ready, so a call that fails later is still checked."""
    cpu: ProcessCpu | None = None
    """CPU used between all calls ready and all turns done."""


@dataclass(kw_only=True)
class PhaseSetup:
    calls: int
    turns: int
    rounds: int = 1
    """Each call talks through its `turns` this many times."""
    mode: str
    window_s: float
    turn_timeout_s: float
    latency: Latency
    speeches: dict[str, CallerSpeech]
    """Caller audio by spoken text."""
    workdir: Path
    environ: dict[str, str]
    playout_speed: float = 1.0
    """How fast the caller's loudspeaker plays the agent's audio (1 = real time)."""


@dataclass(kw_only=True)
class PhaseResult:
    setup: PhaseSetup
    outcomes: list[CallOutcome]
    sim_stats: dict[str, Any]
    sim_cpu: ProcessCpu | None
    parent_cpu_s: float
    machine_busy: float
    """Busy fraction of all cores (any process) while the turns ran."""
    wall_s: float
    discarded: list[PhaseResult] = field(default_factory=list)
    """Earlier runs of this phase, dropped because other processes were busy during them."""

    @property
    def calls_cpu_s(self) -> float:
        return sum(o.cpu.total_s for o in self.outcomes if o.cpu is not None)

    @property
    def other_cores(self) -> float:
        """Cores that other processes (not this bench's) kept busy on average during the turns."""
        ours = self.calls_cpu_s + self.parent_cpu_s
        ours += self.sim_cpu.total_s if self.sim_cpu is not None else 0.0
        busy = self.machine_busy * (os.cpu_count() or 1)
        return busy - ours / self.wall_s if self.wall_s > 0 else busy


async def _drive(
    setup: PhaseSetup, outcome: CallOutcome, port: int, ready: Gate, done: Gate
) -> None:
    """One call, start to close; failures are recorded on `outcome`, never raised."""
    base = f"http://127.0.0.1:{port}"
    options = CallOptions(
        mode=setup.mode,
        openai_url=f"{base}/v1",
        deepgram_url=f"{base}/v1/listen",
        cartesia_url=base,
        workdir=str(setup.workdir / outcome.call_id),
        call_id=outcome.call_id,
        environ=setup.environ,
        turn_timeout_s=setup.turn_timeout_s,
        playout_speed=setup.playout_speed,
    )
    arrived_ready = arrived_done = False
    try:
        async with RemoteCall(options=options) as call:
            outcome.transcript_path = call.transcript_path
            ready.arrive()
            arrived_ready = True
            await ready.wait()
            start_at = ready.opened_at + outcome.index * setup.window_s / setup.calls
            await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
            for question in outcome.questions:
                speech = setup.speeches[question.spoken]
                assert speech.path is not None
                outcome.turns.append(await call.turn(speech.path, text=question.spoken))
            done.arrive()
            arrived_done = True
            await done.wait()
        outcome.summary = call.summary
    except Exception as exc:  # a failed call is a result, not a crash of the bench
        outcome.failure = f"{type(exc).__name__}: {exc}"[-2000:]
    finally:
        if not arrived_ready:
            ready.arrive()
        if not arrived_done:
            done.arrive()


def _call_cpu(outcomes: list[CallOutcome]) -> dict[str, ProcessCpu]:
    """CPU so far of each live call process, by call id (matched on its command line)."""
    found: dict[str, ProcessCpu] = {}
    for pid, cmdline in children(os.getpid()).items():
        for outcome in outcomes:
            if f'"call_id": "{outcome.call_id}"' in cmdline:
                cpu = ProcessCpu.read(pid)
                if cpu is not None:
                    found[outcome.call_id] = cpu
    return found


async def run_phase(setup: PhaseSetup, *, name: str) -> PhaseResult:
    questions = call_plan(setup.turns, rounds=setup.rounds)
    outcomes = [
        CallOutcome(index=i, call_id=f"load-{name}-{i}", questions=questions)
        for i in range(setup.calls)
    ]
    hears = [[q.heard for q in questions] for _ in outcomes]
    setup.workdir.mkdir(parents=True, exist_ok=True)
    sim = SimProcess(hears=hears, latency=setup.latency, log_path=setup.workdir / "sim.log")
    async with sim:
        ready, done = Gate(setup.calls), Gate(setup.calls)
        async with asyncio.TaskGroup() as group:
            for outcome, port in zip(outcomes, sim.ports, strict=True):
                group.create_task(_drive(setup, outcome, port, ready, done))
            await ready.wait()
            before = _call_cpu(outcomes)
            sim_before = ProcessCpu.read(sim.pid)
            parent_before, machine_before = time.process_time(), MachineCpu.read()
            await done.wait()
            after = _call_cpu(outcomes)
            sim_after = ProcessCpu.read(sim.pid)
            parent_cpu_s = time.process_time() - parent_before
            machine_busy = MachineCpu.read().busy_fraction_since(machine_before)
            wall_s = done.opened_at - ready.opened_at
    for outcome in outcomes:
        if outcome.call_id in before and outcome.call_id in after:
            outcome.cpu = after[outcome.call_id].since(before[outcome.call_id])
    sim_cpu = None
    if sim_before is not None and sim_after is not None:
        sim_cpu = sim_after.since(sim_before)
    return PhaseResult(
        setup=setup,
        outcomes=outcomes,
        sim_stats=sim.stats,
        sim_cpu=sim_cpu,
        parent_cpu_s=parent_cpu_s,
        machine_busy=machine_busy,
        wall_s=wall_s,
    )


def kill_children() -> None:
    """Last resort on exit: SIGKILL any child process of ours still alive, by pid."""
    for pid in children(os.getpid()):
        with contextlib.suppress(OSError):
            os.kill(pid, 9)
