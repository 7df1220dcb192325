"""The worker's sweeper ships only spools no live call holds, whole lines only, once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.records.sweeper import SpoolSweeper, shipped_mark
from agent.transcript_sink import TranscriptSink
from tests.records.spools import T0, header, message, summary
from tools.call_records import open_call_records

pytestmark = pytest.mark.unit


async def test_a_live_call_is_left_alone_until_its_spool_closes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'acme.db'}"
    sweeper = SpoolSweeper(directory=tmp_path / "spools", store=lambda: open_call_records(url))
    sink = TranscriptSink(directory=tmp_path / "spools", call_id="live")
    records = [header("live"), message(1, "user", "Where is ACME-1042?", T0 + 1)]
    for record in records:
        sink.write({k: v for k, v in record.items() if k != "seq"})
    await sink.drain()
    assert (await sweeper.sweep()).shipped == 0  # locked: the call is still going

    sink.write({k: v for k, v in summary(records, ended_at=T0 + 3).items() if k != "seq"})
    await sink.aclose()
    assert (await sweeper.sweep()).shipped == 1
    assert shipped_mark(sink.path).exists()
    assert (await sweeper.sweep()).shipped == 0  # marked: not shipped again

    store = open_call_records(url)
    detail = await store.call("live")
    assert detail is not None and detail.call.outcome == "hang-up"
    assert [e.text for e in detail.entries] == ["Where is ACME-1042?"]


async def test_a_torn_last_line_is_left_out_and_the_call_closed_as_lost(tmp_path: Path) -> None:
    spools = tmp_path / "spools"
    spools.mkdir()
    url = f"sqlite:///{tmp_path / 'acme.db'}"
    lines = [header("torn"), message(1, "user", "Where is ACME-1043?", T0 + 1)]
    text = "".join(json.dumps(r) + "\n" for r in lines)
    (spools / "torn.jsonl").write_text(text + '{"type": "message", "seq": 2, "te')

    result = await SpoolSweeper(directory=spools, store=lambda: open_call_records(url)).sweep()
    assert result.shipped == 1
    detail = await open_call_records(url).call("torn")
    assert detail is not None
    assert [e.seq for e in detail.entries] == [1]
    assert (detail.call.outcome, detail.call.turns) == ("error", 1)
    assert detail.call.end_reason == "the worker stopped mid-call"


async def test_an_unreachable_database_leaves_spools_for_later(tmp_path: Path) -> None:
    spools = tmp_path / "spools"
    spools.mkdir()
    (spools / "a.jsonl").write_text(json.dumps(header("a")) + "\n")
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    url = f"sqlite:///{blocked / 'acme.db'}"
    result = await SpoolSweeper(directory=spools, store=lambda: open_call_records(url)).sweep()
    assert (result.shipped, result.pending) == (0, 1)
    assert not shipped_mark(spools / "a.jsonl").exists()
