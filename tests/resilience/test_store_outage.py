"""The order store going away mid-call: tools apologize, the call goes on, lookups come back.

Driven through the agent as a call is: the store a call gets (`agent.bootstrap.call_store`),
the real AcmeAgent and its tools, and a scripted model that speaks each tool's answer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest
from livekit.agents import AgentSession

from agent.acme_agent import CallState
from agent.bootstrap import call_store, prepare_store
from agent.settings import Settings, load_settings
from tests.resilience.text_calls import captured, text_call, turn_of
from tests.scripted_llm import Call, Rule
from tools.errors import StoreUnavailable
from tools.reconnecting_store import ReconnectingStore

APOLOGY = StoreUnavailable().message
REOPEN_INTERVAL_S = 2.1
PG_ADMIN_DSN = os.environ.get(
    "ACME_TEST_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
RULES: list[Rule] = [
    (r"where is (\S+)", lambda m: Call("lookup_order", {"order_id": m[1]})),
    (r"how much is (.+)", lambda m: Call("product_info", {"query": m[1]})),
    (
        r"return the (.+) from (\S+)",
        lambda m: Call("start_return", {"order_id": m[2], "item": m[1], "reason": "broken"}),
    ),
]


def settings_for(url: str) -> Settings:
    return load_settings(environ={"ACME_STORE_URL": url}, require_keys=False)


async def say(session: AgentSession[CallState], text: str) -> tuple[str, bool]:
    """One caller turn; returns the tool's answer, which the agent must also have spoken."""
    turn = turn_of(await session.run(user_input=text))
    [(output, is_error)] = turn.outputs
    assert turn.replies == [output]
    return output, is_error


async def assert_answers(session: AgentSession[CallState]) -> None:
    out, err = await say(session, "where is ACME-1042")
    assert not err and "ACME-1042 shipped" in out


async def assert_apologizes(session: AgentSession[CallState]) -> None:
    for question in ("where is ACME-1042", "how much is the earbuds", "return the Hub from 1043"):
        assert await say(session, question) == (APOLOGY, True)


async def outage_call(
    settings: Settings,
    *,
    go_away: Callable[[], Awaitable[None]],
    come_back: Callable[[], Awaitable[None]],
    down_at_start: bool = False,
) -> list[logging.LogRecord]:
    """Answer, lose the store (apologies, the call goes on), get it back (answers again)."""
    await asyncio.to_thread(prepare_store, settings)
    store = call_store(settings)
    assert isinstance(store, ReconnectingStore)
    with captured("acme") as records:
        try:
            async with text_call(store, RULES) as session:
                if down_at_start:
                    await go_away()
                else:
                    await assert_answers(session)
                    await go_away()
                await assert_apologizes(session)
                await come_back()
                if down_at_start:  # a store that never opened is retried every 2 s
                    await asyncio.sleep(REOPEN_INTERVAL_S)
                await assert_answers(session)
                assert session.agent_state in ("listening", "idle")
        finally:
            await store.close()
    return records


def assert_logged_as_refusals(records: list[logging.LogRecord]) -> None:
    refused = [r for r in records if r.getMessage() == "tool refused"]
    assert {getattr(r, "reason", None) for r in refused} == {"StoreUnavailable"}
    assert {getattr(r, "tool", None) for r in refused} == {
        "lookup_order",
        "product_info",
        "start_return",
    }
    assert not [r for r in records if r.getMessage() == "tool failed"], "no unexpected errors"


# -- SQLite ------------------------------------------------------------------------------------


@pytest.mark.unit
async def test_sqlite_directory_gone_mid_call(tmp_path: Path) -> None:
    data, away = tmp_path / "data", tmp_path / "away"
    settings = settings_for(f"sqlite:///{data / 'acme.db'}")

    async def go_away() -> None:
        await asyncio.to_thread(data.rename, away)

    async def come_back() -> None:
        await asyncio.to_thread(away.rename, data)

    records = await outage_call(settings, go_away=go_away, come_back=come_back)
    assert_logged_as_refusals(records)


@pytest.mark.unit
async def test_sqlite_file_unreadable_mid_call(tmp_path: Path) -> None:
    db, backup = tmp_path / "acme.db", tmp_path / "backup.db"
    settings = settings_for(f"sqlite:///{db}")

    def corrupt() -> None:
        with sqlite3.connect(db) as source, sqlite3.connect(backup) as target:
            source.backup(target)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        db.write_bytes(b"this is not a database\n" * 400)

    def restore() -> None:
        shutil.copyfile(backup, db)

    records = await outage_call(
        settings,
        go_away=lambda: asyncio.to_thread(corrupt),
        come_back=lambda: asyncio.to_thread(restore),
    )
    assert_logged_as_refusals(records)


# -- PostgreSQL --------------------------------------------------------------------------------


@pytest.fixture
async def pg_database() -> AsyncIterator[str]:
    """A dedicated, empty database (the agent creates and seeds its schema); dropped after."""
    try:
        admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but unreachable: {exc!r}")
        pytest.skip(f"PostgreSQL not reachable: {exc!r}")
    name = f"acme_resilience_{uuid.uuid4().hex[:10]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield name
    finally:
        for db in (name, f"{name}_away"):
            await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await admin.close()


def dsn(database: str) -> str:
    return PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + database


async def rename_database(old: str, new: str) -> None:
    """Cut every connection and rename: to the pool, the database is gone (or back)."""
    admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
    try:
        for _ in range(50):
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", old
            )
            try:
                await admin.execute(f'ALTER DATABASE "{old}" RENAME TO "{new}"')
                return
            except asyncpg.ObjectInUseError:  # a pooled connection came back in between
                await asyncio.sleep(0.05)
        raise AssertionError(f"could not rename {old}")
    finally:
        await admin.close()


@pytest.mark.integration
async def test_postgres_database_gone_mid_call(pg_database: str) -> None:
    settings = settings_for(dsn(pg_database))
    away = f"{pg_database}_away"
    records = await outage_call(
        settings,
        go_away=lambda: rename_database(pg_database, away),
        come_back=lambda: rename_database(away, pg_database),
    )
    assert_logged_as_refusals(records)


@pytest.mark.integration
async def test_postgres_down_when_the_call_starts(pg_database: str) -> None:
    settings = settings_for(dsn(pg_database))
    away = f"{pg_database}_away"
    records = await outage_call(
        settings,
        go_away=lambda: rename_database(pg_database, away),
        come_back=lambda: rename_database(away, pg_database),
        down_at_start=True,
    )
    assert_logged_as_refusals(records)
    assert any(r.getMessage() == "order store unavailable" for r in records)
