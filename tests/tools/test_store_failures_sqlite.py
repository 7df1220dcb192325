"""A SQLite store reports outages as StoreUnavailable and recovers once the file is back."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.tools.common import NOW, REFERENCE
from tools.errors import StoreUnavailable
from tools.sqlite_store import SqliteOrderStore

pytestmark = pytest.mark.unit


async def open_in(directory: Path, *, busy_timeout: float = 2.0) -> SqliteOrderStore:
    return await SqliteOrderStore.open(
        path=directory / "acme.db", seed_reference=REFERENCE, busy_timeout=busy_timeout
    )


async def assert_unavailable(store: SqliteOrderStore) -> None:
    with pytest.raises(StoreUnavailable) as err:
        await store.get_order("ACME-1042")
    assert isinstance(err.value.__cause__, sqlite3.Error | OSError)
    with pytest.raises(StoreUnavailable):
        await store.ping()


async def assert_working(store: SqliteOrderStore) -> None:
    await store.ping()
    order = await store.get_order("ACME-1042")
    assert order is not None and order.status == "shipped"


async def test_directory_removed_then_restored(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = await open_in(data)
    try:
        await assert_working(store)
        await asyncio.to_thread(data.rename, tmp_path / "moved")
        await assert_unavailable(store)
        assert not await asyncio.to_thread(data.exists), "a missing database is not recreated"
        await asyncio.to_thread((tmp_path / "moved").rename, data)
        await assert_working(store)
    finally:
        await store.close()


async def test_directory_deleted_for_good(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = await open_in(data)
    try:
        await assert_working(store)
        await asyncio.to_thread(shutil.rmtree, data)
        await assert_unavailable(store)
        with pytest.raises(StoreUnavailable):
            await store.create_return(order_id="ACME-1043", sku="HP-130", reason="x", now=NOW)
    finally:
        await store.close()


def back_up_and_corrupt(db: Path, backup: Path) -> None:
    with sqlite3.connect(db) as source, sqlite3.connect(backup) as target:
        source.backup(target)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"this is not a database\n" * 400)


def replace_with_directory(db: Path) -> None:
    db.unlink()
    db.mkdir()  # a directory where the file should be cannot be opened either


def restore(db: Path, backup: Path) -> None:
    db.rmdir()
    shutil.copyfile(backup, db)


async def test_file_unreadable_then_restored(tmp_path: Path) -> None:
    store = await open_in(tmp_path / "data")
    db = tmp_path / "data" / "acme.db"
    backup = tmp_path / "backup.db"
    try:
        await assert_working(store)
        await asyncio.to_thread(back_up_and_corrupt, db, backup)
        await assert_unavailable(store)
        await asyncio.to_thread(replace_with_directory, db)
        await assert_unavailable(store)
        await asyncio.to_thread(restore, db, backup)
        await assert_working(store)
    finally:
        await store.close()


async def test_locked_database_then_released(tmp_path: Path) -> None:
    store = await open_in(tmp_path, busy_timeout=0.05)
    blocker = sqlite3.connect(tmp_path / "acme.db", isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreUnavailable) as err:
            await store.create_return(order_id="ACME-1043", sku="HP-130", reason="x", now=NOW)
        assert "locked" in str(err.value.__cause__)
        blocker.execute("ROLLBACK")
        _, created = await store.create_return(
            order_id="ACME-1043", sku="HP-130", reason="x", now=NOW
        )
        assert created is True
    finally:
        blocker.close()
        await store.close()


async def test_unopenable_path_fails_at_open(tmp_path: Path) -> None:
    await asyncio.to_thread((tmp_path / "file").write_text, "x")
    with pytest.raises(StoreUnavailable):
        await SqliteOrderStore.open(path=tmp_path / "file" / "acme.db")
