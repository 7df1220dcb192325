"""CPU accounting from /proc for the load bench: processes, threads, children, the machine."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from bench.load_cpu import MachineCpu, ProcessCpu, children, thread_group

pytestmark = pytest.mark.unit


def _burn(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_thread_groups_drop_pool_numbers() -> None:
    assert thread_group("asyncio_0") == "asyncio"
    assert thread_group("tokio-rt-worker") == "tokio-rt-worker"
    assert thread_group("worker-12") == "worker"
    assert thread_group("7") == "7"


def test_cpu_burnt_on_a_thread_is_counted_for_the_process_and_not_the_main_thread() -> None:
    before = ProcessCpu.read(os.getpid())
    assert before is not None
    worker = threading.Thread(target=_burn, args=(0.3,))
    worker.start()
    worker.join()
    after = ProcessCpu.read(os.getpid())
    assert after is not None
    used = after.since(before)
    assert used.total_s >= 0.25
    assert used.threads.get("main", 0.0) < 0.2
    assert sum(used.threads.values()) <= used.total_s + 0.05


def test_children_lists_a_started_process_with_its_command_line() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "marker-7"])
    try:
        found = children(os.getpid())
        assert child.pid in found
        assert "marker-7" in found[child.pid]
    finally:
        child.kill()
        child.wait()
    assert child.pid not in children(os.getpid())


def test_machine_busy_fraction_is_a_fraction() -> None:
    before = MachineCpu.read()
    _burn(0.2)
    busy = MachineCpu.read().busy_fraction_since(before)
    assert 0.0 < busy <= 1.0
