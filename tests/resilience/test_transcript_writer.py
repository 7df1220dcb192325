"""The transcript writer never blocks the call's event loop, even when the disk does."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from pathlib import Path

import pytest

from agent.transcript_sink import TranscriptSink

pytestmark = pytest.mark.unit


async def test_a_stuck_disk_does_not_stall_the_call(tmp_path: Path) -> None:
    sink = TranscriptSink(directory=tmp_path, call_id="stuck")
    # A FIFO with no reader: opening it for writing blocks, like a hung network disk.
    os.mkfifo(sink.path)
    records = [{"type": "message", "role": "user", "text": f"turn {i}"} for i in range(3)]
    # Should a write block this loop, a watchdog unblocks it after a while, and the test fails
    # instead of hanging.
    released, watchdog_fired = threading.Event(), threading.Event()

    def watchdog() -> None:
        if not released.wait(10):
            watchdog_fired.set()
            with open(sink.path, encoding="utf-8") as fifo:
                fifo.read()

    threading.Thread(target=watchdog, daemon=True).start()
    for record in records:
        sink.write(record)  # returns at once
    await asyncio.sleep(0.05)  # the loop keeps running other work while the writer is stuck
    assert sink.records_written == 0 and not watchdog_fired.is_set()
    released.set()

    def read_all() -> list[str]:
        with open(sink.path, encoding="utf-8") as fifo:  # unblocks the writer
            lines = []
            while len(lines) < len(records):
                line = fifo.readline()
                if not line:
                    break
                lines.append(line)
            return lines

    reader = asyncio.create_task(asyncio.to_thread(read_all))
    await sink.drain()
    assert sink.records_written == len(records)
    await sink.aclose()
    lines = await reader
    # in order, one per line, numbered as queued
    assert [json.loads(line) for line in lines] == [{**r, "seq": i} for i, r in enumerate(records)]
