"""The load bench's provider simulators: one process, one simulator (own port, own script) per call.

Each call needs its own queue of what the STT hears, so each gets its own `ProviderSimulator`;
all of them share this process's event loop, as one simulator server would. The providers run
on other machines in production, so this process asks for a higher CPU priority (when allowed)
to keep the calls' CPU contention out of the providers' simulated latencies; it measures itself
(CPU time, event-loop lag) so the bench can show it is not the bottleneck.

    python -m bench.load_sim --config '{"hears": [["..."], ...], "latency": {...}}'

prints `LOADSIM {"event": "ready", "ports": [...]}`, serves until stdin closes (or says "stop"),
then prints `LOADSIM {"event": "stats", ...}` and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from harness.scenario import support_script
from simulators import Latency, ProviderSimulator

PREFIX = "LOADSIM "
LAG_PROBE_S = 0.05
NICE = -5


@dataclass(kw_only=True)
class LagProbe:
    """How late this event loop wakes up from a short sleep: a busy loop answers late."""

    period_s: float = LAG_PROBE_S
    lags_s: list[float] = field(default_factory=list)

    async def run(self) -> None:
        while True:
            due = time.perf_counter() + self.period_s
            await asyncio.sleep(self.period_s)
            self.lags_s.append(max(0.0, time.perf_counter() - due))

    def summary(self) -> dict[str, float]:
        ordered = sorted(self.lags_s) or [0.0]
        return {
            "lag_p50_ms": ordered[len(ordered) // 2] * 1000,
            "lag_p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
            "lag_max_ms": ordered[-1] * 1000,
        }


def _emit(out: TextIO, event: str, **data: Any) -> None:
    out.write(PREFIX + json.dumps({"event": event, **data}) + "\n")
    out.flush()


def raise_priority() -> int:
    """Ask for nice `NICE`; returns the niceness this process got."""
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, 0, NICE)
    return os.getpriority(os.PRIO_PROCESS, 0)


async def serve(config: dict[str, Any], out: TextIO) -> None:
    nice = raise_priority()
    latency = Latency(**config["latency"])
    simulators: list[ProviderSimulator] = []
    for hears in config["hears"]:
        script = support_script()
        script.hear(*hears)
        simulators.append(ProviderSimulator(script=script, latency=latency))
    probe = LagProbe()
    async with contextlib.AsyncExitStack() as stack:
        for sim in simulators:
            await stack.enter_async_context(sim)
        probe_task = asyncio.create_task(probe.run(), name="lag-probe")
        wall0, cpu0 = time.perf_counter(), time.process_time()
        _emit(out, "ready", ports=[sim.port for sim in simulators], nice=nice)
        try:
            while True:
                line = await asyncio.to_thread(sys.stdin.readline)
                if not line or line.strip() == "stop":
                    break
        finally:
            probe_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await probe_task
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        _emit(
            out,
            "stats",
            wall_s=wall,
            cpu_s=cpu,
            cpu_pct=100 * cpu / wall if wall > 0 else 0.0,
            nice=nice,
            hears_left=[len(sim.script.hears) for sim in simulators],
            tts_requests=sum(len(sim.received.tts_requests) for sim in simulators),
            **probe.summary(),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="hears per call and latency, as JSON")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing else may write on the protocol channel
    asyncio.run(serve(json.loads(args.config), out))


if __name__ == "__main__":
    main()
