"""Where the load bench's CPU goes: per-process and per-thread CPU time, and the machine's load.

Linux only (reads /proc). A process's main thread (its event loop) is `main`; other threads are
grouped by their OS name with trailing digits dropped, so a native worker pool counts as one
(Python threads all carry the interpreter's name, `python`).
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

_TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")
_DIGITS = re.compile(r"[-_ ]?\d+$")


def _stat_fields(path: Path) -> tuple[str, list[str]] | None:
    """(comm, fields after comm) of a /proc stat file; None when it vanished."""
    try:
        raw = path.read_text()
    except OSError:
        return None
    head, _, tail = raw.rpartition(")")
    return head.partition("(")[2], tail.split()


def cpu_seconds(pid: int | str, tid: int | str | None = None) -> float | None:
    """utime + stime of a process (or one of its threads), in seconds."""
    base = Path("/proc") / str(pid)
    parsed = _stat_fields(base / "task" / str(tid) / "stat" if tid else base / "stat")
    if parsed is None:
        return None
    rest = parsed[1]  # rest[0] is the state, field 3; utime and stime are fields 14 and 15
    return (int(rest[11]) + int(rest[12])) * _TICK_S


def thread_group(comm: str) -> str:
    return _DIGITS.sub("", comm) or comm


@dataclass(kw_only=True)
class ProcessCpu:
    """One process's CPU time so far, in total and per thread group."""

    pid: int
    total_s: float
    threads: dict[str, float] = field(default_factory=dict)

    @classmethod
    def read(cls, pid: int) -> ProcessCpu | None:
        total = cpu_seconds(pid)
        if total is None:
            return None
        threads: dict[str, float] = {}
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            tids = []
        for tid in tids:
            parsed = _stat_fields(Path(f"/proc/{pid}/task/{tid}/stat"))
            seconds = cpu_seconds(pid, tid)
            if parsed is not None and seconds is not None:
                name = "main" if tid == str(pid) else thread_group(parsed[0])
                threads[name] = threads.get(name, 0.0) + seconds
        return cls(pid=pid, total_s=total, threads=threads)

    def since(self, earlier: ProcessCpu) -> ProcessCpu:
        threads = {k: v - earlier.threads.get(k, 0.0) for k, v in self.threads.items()}
        return ProcessCpu(pid=self.pid, total_s=self.total_s - earlier.total_s, threads=threads)


def children(parent: int) -> dict[int, str]:
    """pid -> command line of the direct children of `parent`."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        parsed = _stat_fields(entry / "stat")
        if parsed is None or int(parsed[1][1]) != parent:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        found[int(entry.name)] = cmdline
    return found


@dataclass(frozen=True, kw_only=True)
class MachineCpu:
    """The machine's busy and total CPU time (all cores, all processes) from /proc/stat."""

    busy_s: float
    total_s: float

    @classmethod
    def read(cls) -> MachineCpu:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        total = sum(values[:8])  # guest time is already inside user time
        return cls(busy_s=(total - idle) * _TICK_S, total_s=total * _TICK_S)

    def busy_fraction_since(self, earlier: MachineCpu) -> float:
        total = self.total_s - earlier.total_s
        if total <= 0:
            return 0.0
        # iowait may step backwards (it is an estimate), so clamp
        return min(1.0, max(0.0, (self.busy_s - earlier.busy_s) / total))


async def wait_quiet(*, max_busy: float, max_wait_s: float, sample_s: float = 1.0) -> float:
    """Wait (up to `max_wait_s`) until the machine is busy less than `max_busy` of all cores
    over a `sample_s` sample, so other people's work does not skew a phase. Returns the last
    busy fraction."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_wait_s
    while True:
        before = MachineCpu.read()
        await asyncio.sleep(sample_s)
        busy = MachineCpu.read().busy_fraction_since(before)
        if busy < max_busy or loop.time() >= deadline:
            return busy


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"
