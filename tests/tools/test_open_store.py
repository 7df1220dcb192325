"""open_store is the one place that maps a URL to a backend; bad URLs and dead servers fail fast."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from tests.tools.common import REFERENCE
from tools.errors import StoreUnavailable
from tools.sqlite_store import SqliteOrderStore
from tools.stores import open_store, sqlite_path

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///data/acme.db", "data/acme.db"),
        ("sqlite:////tmp/x/acme.db", "/tmp/x/acme.db"),
        ("sqlite:///:memory:", ":memory:"),
        ("sqlite:///my%20data/acme.db", "my data/acme.db"),
        ("data/acme.db", "data/acme.db"),
        ("/abs/acme.db", "/abs/acme.db"),
    ],
)
def test_sqlite_paths(url: str, path: str) -> None:
    assert sqlite_path(url) == path


async def test_sqlite_url_and_plain_path_open_sqlite(tmp_path: Path) -> None:
    for url in (f"sqlite:///{tmp_path}/a/one.db", str(tmp_path / "b" / "two.db")):
        store = await open_store(url, seed_reference=REFERENCE)
        try:
            assert isinstance(store, SqliteOrderStore)
            assert Path(store.path).is_absolute()
            assert await asyncio.to_thread(Path(store.path).exists)
            assert await store.get_order("ACME-1042") is not None
        finally:
            await store.close()


async def test_seed_false_leaves_tables_empty(tmp_path: Path) -> None:
    store = await open_store(str(tmp_path / "empty.db"), seed=False)
    try:
        assert await store.get_order("ACME-1042") is None
        assert await store.search_products("headphones") == []
    finally:
        await store.close()


@pytest.mark.parametrize("url", ["mysql://db/acme", "http://x", "redis://localhost:6379/0"])
async def test_unknown_scheme_is_named(url: str) -> None:
    with pytest.raises(ValueError, match=url.split("://")[0]):
        await open_store(url)


@pytest.mark.parametrize("url", ["", "   ", "sqlite://relative.db", "sqlite:///"])
async def test_malformed_urls(url: str) -> None:
    with pytest.raises(ValueError):
        await open_store(url)


async def test_unreachable_postgres_is_store_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(StoreUnavailable):
        await open_store(f"postgresql://postgres@127.0.0.1:{port}/acme", pool_size=1)
