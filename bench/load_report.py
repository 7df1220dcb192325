"""The load bench's figures: per-phase latency, errors, lost records and where the CPU went."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any

from bench.load_checks import check_transcript, percentile, split_session_errors, turn_problem
from bench.load_run import PhaseResult
from harness.scenario import benchmark_latency

NAN = float("nan")
HELD_S = 2.0
"""An end-of-turn delay over this: the turn detector judged the turn unfinished and waited for
more speech (up to the 2.5 s maximum endpointing delay), rather than the CPU being slow."""


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}ms"


@dataclass(kw_only=True)
class PhaseSummary:
    """Latencies of answered turns (seconds) and the phase's failures.

    Errors and lost records include the phase's discarded runs: correctness does not depend on
    what else the machine was doing.
    """

    io: list[float] = field(default_factory=list)
    """End of caller speech to the agent's first audio frame."""
    stages: dict[str, list[float]] = field(default_factory=dict)
    """The framework's own per-turn metrics (end_of_turn_delay, llm_node_ttft, ...)."""
    planned: int = 0
    completed: int = 0
    errors: int = 0
    recoverable: int = 0
    lost: int = 0
    expected: int = 0
    late_frames: int = 0
    threads: dict[str, float] = field(default_factory=dict)

    held_io: list[float] = field(default_factory=list)
    """`io` of the turns the turn detector held (waited for more speech)."""

    def p(self, q: float, stage: str | None = None) -> float:
        return percentile(self.io if stage is None else self.stages.get(stage, []), q)

    def p_unheld(self, q: float) -> float:
        rest = list(self.io)
        for value in self.held_io:
            rest.remove(value)
        return percentile(rest, q)


def _count_failures(summary: PhaseSummary, result: PhaseResult) -> None:
    for outcome in result.outcomes:
        if outcome.failure is not None:
            summary.errors += 1
            print(f"{outcome.call_id} failed: {outcome.failure}", file=sys.stderr)
        for turn, question in zip(outcome.turns, outcome.questions, strict=False):
            problem = turn_problem(turn, heard=question.heard)
            if problem is not None:
                summary.errors += 1
                print(f"{outcome.call_id} turn {turn['index']}: {problem}", file=sys.stderr)
        fatal, recoverable = split_session_errors(outcome.summary.get("errors", []))
        summary.errors += fatal
        summary.recoverable += recoverable
        check = check_transcript(
            outcome.transcript_path, outcome.turns, greeted=outcome.failure is None
        )
        summary.lost += check.lost
        summary.expected += check.expected
        if check.lost:
            print(f"{outcome.call_id} lost records: {list(check.missing)}", file=sys.stderr)


def summarize(result: PhaseResult) -> PhaseSummary:
    """Figures of one phase; problems and the slowest turns go to stderr."""
    summary = PhaseSummary()
    for run in (result, *result.discarded):
        _count_failures(summary, run)
    answered: list[tuple[str, dict[str, Any]]] = []
    for outcome in result.outcomes:
        summary.planned += len(outcome.questions)
        summary.completed += len(outcome.turns)
        if outcome.turns:
            summary.late_frames += outcome.turns[-1]["late_frames"]
        for turn, question in zip(outcome.turns, outcome.questions, strict=False):
            if turn_problem(turn, heard=question.heard) is None:
                answered.append((outcome.call_id, turn))
        if outcome.cpu is not None:
            for name, seconds in outcome.cpu.threads.items():
                summary.threads[name] = summary.threads.get(name, 0.0) + seconds
    for _, turn in answered:
        summary.io.append(turn["latency_s"])
        stages = {**turn["assistant"][0]["metrics"], **turn["user_metrics"]}
        for name, value in stages.items():
            summary.stages.setdefault(name, []).append(float(value))
        if stages.get("end_of_turn_delay", 0.0) > HELD_S:
            summary.held_io.append(turn["latency_s"])
    for call_id, turn in sorted(answered, key=lambda item: -item[1]["latency_s"])[:3]:
        stages = {**turn["user_metrics"], **turn["assistant"][0]["metrics"]}
        parts = " ".join(f"{k}={_ms(v)}" for k, v in stages.items())
        print(
            f"slow turn: {call_id} #{turn['index']} {_ms(turn['latency_s'])} ({parts})",
            file=sys.stderr,
        )
    return summary


def cpu_line(phase: PhaseResult, s: PhaseSummary) -> str:
    """Where the CPU went while the phase's turns ran, in % of one core."""
    wall, stats = phase.wall_s, phase.sim_stats
    sim_s = phase.sim_cpu.total_s if phase.sim_cpu else NAN
    top = sorted(s.threads.items(), key=lambda item: -item[1])[:3]
    threads = ", ".join(f"{name} {100 * sec / wall:.0f}%" for name, sec in top)
    return (
        f"{phase.setup.calls} call(s), {wall:.0f} s of turns, CPU in % of one core: calls "
        f"{100 * phase.calls_cpu_s / wall:.0f}% ({threads}); simulator {100 * sim_s / wall:.1f}% "
        f"(nice {stats.get('nice', '?')}, loop lag p99 {stats.get('lag_p99_ms', NAN):.0f} ms, "
        f"max {stats.get('lag_max_ms', NAN):.0f} ms); bench {100 * phase.parent_cpu_s / wall:.1f}%"
        f"; other processes {100 * phase.other_cores:.0f}%"
    )


def report(phases: list[PhaseResult], load: list[str]) -> str:
    """Print the figures; returns the last line (`load_calls=... lost_records=...`)."""
    lat, first = benchmark_latency(), phases[0].setup
    print(
        f"load: {first.mode} mode; simulated STT final {_ms(lat.stt_final_s)}, LLM TTFT "
        f"{_ms(lat.llm_ttft_s)} at {lat.llm_tokens_per_s:.0f} tok/s, TTS TTFB "
        f"{_ms(lat.tts_ttfb_s)}; one shared SQLite store; {os.cpu_count()} CPUs; "
        f"load average {' -> '.join(load)}"
    )
    print(
        f"{'calls':>5} {'turns':>9} {'io p50':>7} {'io p95':>7} {'io max':>7} {'e2e p50':>7} "
        f"{'eot p50':>7} {'held':>4} {'ttft p50':>8} {'ttfb p50':>8} {'late':>5} {'cpu/call':>8} "
        f"{'busy':>5}"
    )
    sums = [summarize(p) for p in phases]
    for phase, s in zip(phases, sums, strict=True):
        calls = phase.setup.calls
        print(
            f"{calls:>5} {s.completed:>4}/{s.planned:<4} {_ms(s.p(50)):>7} {_ms(s.p(95)):>7} "
            f"{_ms(max(s.io, default=NAN)):>7} {_ms(s.p(50, 'e2e_latency')):>7} "
            f"{_ms(s.p(50, 'end_of_turn_delay')):>7} {len(s.held_io):>4} "
            f"{_ms(s.p(50, 'llm_node_ttft')):>8} "
            f"{_ms(s.p(50, 'tts_node_ttfb')):>8} {s.late_frames:>5} "
            f"{100 * phase.calls_cpu_s / calls / phase.wall_s:>7.1f}% "
            f"{100 * phase.machine_busy:>4.0f}%"
        )
    for phase, s in zip(phases, sums, strict=True):
        print(cpu_line(phase, s))
        runs = f" over {1 + len(phase.discarded)} runs" if phase.discarded else ""
        print(
            f"  errors {s.errors} (+{s.recoverable} recoverable session errors); "
            f"lost records {s.lost} of {s.expected}{runs}"
        )
    ratio = sums[-1].p(95) / sums[0].p(95)
    print(
        f"turns the turn detector did not hold: io p95 {_ms(sums[0].p_unheld(95))} for 1 call, "
        f"{_ms(sums[-1].p_unheld(95))} for {phases[-1].setup.calls} "
        f"(ratio {sums[-1].p_unheld(95) / sums[0].p_unheld(95):.3f})"
    )
    errors = sum(s.errors for s in sums)
    lost = sum(s.lost for s in sums)
    line = (
        f"load_calls={phases[-1].setup.calls} p95_ratio={ratio:.3f} errors={errors} "
        f"lost_records={lost}"
    )
    print(line)
    return line
