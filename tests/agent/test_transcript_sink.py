"""The transcript sink appends ordered JSON lines off the event loop and never raises."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.transcript_sink import TranscriptSink

pytestmark = pytest.mark.unit


async def test_records_are_appended_in_order(tmp_path: Path) -> None:
    sink = TranscriptSink(directory=tmp_path / "t", call_id="room-1/job 2", fsync=True)
    for i in range(50):
        sink.write({"n": i, "text": f"turn {i} é"})
    await sink.aclose()
    lines = sink.path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["n"] for line in lines] == list(range(50))
    assert sink.path.parent == tmp_path / "t"
    assert "/" not in sink.path.name and " " not in sink.path.name
    assert sink.records_written == 50


async def test_each_record_is_on_disk_before_close(tmp_path: Path) -> None:
    sink = TranscriptSink(directory=tmp_path, call_id="c")
    sink.write({"n": 1})
    await sink.drain()
    assert json.loads(sink.path.read_text())["n"] == 1
    await sink.aclose()


async def test_unwritable_directory_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    sink = TranscriptSink(directory=blocker / "sub", call_id="c")
    sink.write({"n": 1})
    await sink.aclose()
    assert sink.write_errors == 1
    assert "transcript write failed" in caplog.text


async def test_write_after_close_is_dropped(tmp_path: Path) -> None:
    sink = TranscriptSink(directory=tmp_path, call_id="c")
    await sink.aclose()
    sink.write({"n": 1})
    assert not sink.path.exists()
