"""A call starved of CPU, then killed, keeps every finished turn in its spool, and the load
bench's checker finds that spool although the call never closed.

Starving is real: the call process (every thread) is pinned to one core shared with busy
processes, as 16 calls on two cores leave each about a tenth of a core. Then the call process
gets SIGKILL while still starved: an abnormal end with no chance to flush anything late.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.load_checks import check_transcript
from harness import SpeechToolsMissing, speak
from harness.remote import CallOptions, RemoteCall, RemoteCallError
from harness.scenario import ORDER_QUESTION, benchmark_latency, support_script
from simulators import ProviderSimulator, SimulatorThread

pytestmark = pytest.mark.integration

HOGS = 6
"""Busy processes sharing the call's core: the call gets about 1/7 of it."""
STARVED_TURNS = 2
TURN_TIMEOUT_S = 12.0


def _pin(pid: int, cpu: int) -> None:
    """Pin every thread of `pid` to `cpu` (affinity is per thread on Linux)."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(ProcessLookupError):
            os.sched_setaffinity(int(tid), {cpu})


@contextlib.contextmanager
def starved(pid: int) -> Iterator[None]:
    """`pid` shares one core with HOGS processes spinning in a loop, while inside."""
    cpu = min(os.sched_getaffinity(0))
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(HOGS)]
    try:
        for hog in hogs:
            os.sched_setaffinity(hog.pid, {cpu})
        _pin(pid, cpu)
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


@pytest.fixture
def sim() -> Iterator[SimulatorThread]:
    with ProviderSimulator.run_in_thread(
        script=support_script(), latency=benchmark_latency()
    ) as thread:
        yield thread


async def test_a_starved_call_killed_mid_call_keeps_every_finished_turn(
    sim: SimulatorThread, tmp_path: Path
) -> None:
    try:
        speech = speak(ORDER_QUESTION.spoken, directory=tmp_path / "caller")
    except SpeechToolsMissing as exc:
        pytest.skip(str(exc))
    assert speech.path is not None
    for _ in range(1 + STARVED_TURNS):
        sim.simulator.script.hear(ORDER_QUESTION.heard)
    options = CallOptions(
        mode="pipeline",
        openai_url=sim.openai_base_url,
        deepgram_url=sim.deepgram_base_url,
        cartesia_url=sim.cartesia_base_url,
        workdir=str(tmp_path),
        call_id="starved-call",
        turn_timeout_s=TURN_TIMEOUT_S,
    )
    finished: list[dict[str, Any]] = []
    spool: Path | None = None
    killed = False
    with contextlib.suppress(RemoteCallError):  # the call may fail on its own while starved
        async with RemoteCall(options=options) as call:
            spool = call.transcript_path
            finished.append(await call.turn(speech.path, text=ORDER_QUESTION.spoken))
            with starved(call.pid):
                for _ in range(STARVED_TURNS):
                    finished.append(await call.turn(speech.path, text=ORDER_QUESTION.spoken))
                os.kill(call.pid, signal.SIGKILL)
                killed = True

    assert spool is not None, "the call's spool is known from its start"
    assert finished, "the turn before the starvation finished"
    check = check_transcript(spool, finished, greeted=True)
    # the greeting, then per turn the caller's words and the answer (the order is looked up
    # before the model asks, so a model tool call is not always among what a turn observed)
    assert check.expected >= 1 + 2 * len(finished)
    assert check.lost == 0, (killed, check.missing)
