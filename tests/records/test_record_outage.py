"""A call record database outage during a call loses nothing: records wait and ship when the
database is back, during the call or, if it stays down past the call, from the spool later."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from agent.records.sweeper import SpoolSweeper, shipped_mark
from tests.records.recorded_calls import RecordedCall, recorded_text_call
from tests.resilience.test_store_outage import dsn, pg_database, rename_database
from tools.call_records import CallQuery, CallRecordStore, open_call_records
from tools.sqlite_store import SqliteOrderStore

__all__ = ["pg_database"]

QUESTIONS = ["where is ACME-1042", "where is ACME-1043", "where is ACME-1047", "where is ACME-1045"]
Outage = tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]


def sqlite_outage(tmp_path: Path) -> tuple[str, Outage]:
    """Call records in their own directory, which is moved away and back."""
    here, away = tmp_path / "records", tmp_path / "away"
    here.mkdir()

    async def go() -> None:
        await asyncio.to_thread(here.rename, away)

    async def back() -> None:
        await asyncio.to_thread(away.rename, here)

    return f"sqlite:///{here / 'acme.db'}", (go, back)


def pg_outage(database: str) -> tuple[str, Outage]:
    """The database renamed away (every connection cut) and back."""
    away = f"{database}_away"

    async def go() -> None:
        await rename_database(database, away)

    async def back() -> None:
        await rename_database(away, database)

    return dsn(database), (go, back)


def conversation(spool: Path) -> list[tuple[int, str]]:
    records = [json.loads(line) for line in spool.read_text().splitlines()]
    kinds = ("message", "tool_call")
    return [(r["seq"], r.get("text") or r["output"]) for r in records if r["type"] in kinds]


async def stored(store: CallRecordStore) -> list[tuple[int, str]]:
    [listing] = await store.calls(CallQuery())
    detail = await store.call(listing.call_id)
    assert detail is not None and detail.call.outcome == "hang-up"
    return [(e.seq, e.text or e.output or "") for e in detail.entries]


async def call_through_outage(
    url: str, outage: Outage, orders: SqliteOrderStore, spools: Path, *, back_in_call: bool
) -> tuple[CallRecordStore, RecordedCall]:
    """Four questions: the database goes after the first and is back before the last, or only
    after the call has ended."""
    go, back = outage
    records = open_call_records(url)
    async with recorded_text_call(
        orders=orders,
        records=records,
        spools=spools,
        call_id="outage",
        ship_timeout=10.0 if back_in_call else 1.0,  # no use waiting for a database still away
    ) as call:
        await call.session.run(user_input=QUESTIONS[0])
        await call.recorder.shipper.caught_up()
        await go()
        for question in QUESTIONS[1:3]:
            await call.session.run(user_input=question)
        if back_in_call:
            await back()
        await call.session.run(user_input=QUESTIONS[3])
    if not back_in_call:
        await back()
    return records, call


async def assert_back_in_call_loses_nothing(url: str, outage: Outage, tmp_path: Path) -> None:
    orders = await SqliteOrderStore.open(path=tmp_path / "orders" / "acme.db")
    try:
        records, call = await call_through_outage(
            url, outage, orders, tmp_path / "spools", back_in_call=True
        )
        assert call.recorder.shipper.failures > 0, "the outage was felt"
        assert shipped_mark(call.spool).exists()
        said = await stored(records)
        assert said == conversation(call.spool)  # all of it, once each, in order
        assert len(said) == 1 + 3 * len(QUESTIONS)  # greeting; question, tool call, answer
        await records.close()
    finally:
        await orders.close()


async def assert_back_after_call_ships_from_spool(url: str, outage: Outage, tmp_path: Path) -> None:
    orders = await SqliteOrderStore.open(path=tmp_path / "orders" / "acme.db")
    spools = tmp_path / "spools"
    try:
        records, call = await call_through_outage(url, outage, orders, spools, back_in_call=False)
        assert not shipped_mark(call.spool).exists(), "left for the sweeper"
        result = await SpoolSweeper(directory=spools, store=lambda: open_call_records(url)).sweep()
        assert (result.shipped, result.pending) == (1, 0)
        assert shipped_mark(call.spool).exists()
        said = await stored(records)
        assert said == conversation(call.spool) and len(said) == 1 + 3 * len(QUESTIONS)
        again = await SpoolSweeper(directory=spools, store=lambda: open_call_records(url)).sweep()
        assert again.shipped == 0
        await records.close()
    finally:
        await orders.close()


@pytest.mark.unit
async def test_sqlite_outage_during_the_call(tmp_path: Path) -> None:
    await assert_back_in_call_loses_nothing(*sqlite_outage(tmp_path), tmp_path)


@pytest.mark.unit
async def test_sqlite_outage_past_the_end_of_the_call(tmp_path: Path) -> None:
    await assert_back_after_call_ships_from_spool(*sqlite_outage(tmp_path), tmp_path)


@pytest.mark.integration
async def test_postgres_outage_during_the_call(pg_database: str, tmp_path: Path) -> None:
    await assert_back_in_call_loses_nothing(*pg_outage(pg_database), tmp_path)


@pytest.mark.integration
async def test_postgres_outage_past_the_end_of_the_call(pg_database: str, tmp_path: Path) -> None:
    await assert_back_after_call_ships_from_spool(*pg_outage(pg_database), tmp_path)
