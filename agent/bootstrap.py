"""Wires concrete adapters from settings: the store URL, its preparation, transcript paths,
the call record store."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from agent.settings import ROOT, Settings
from tools.call_records import CallRecordStore, open_call_records
from tools.errors import StoreUnavailable
from tools.reconnecting_store import ReconnectingStore
from tools.store import OrderStore
from tools.stores import open_store

logger = logging.getLogger("acme.agent")

_SQLITE = "sqlite:///"


def store_url(settings: Settings) -> str:
    """The store URL with a relative SQLite path made absolute against the project root."""
    return _absolute(settings.store.url)


def records_url(settings: Settings) -> str:
    """Where call records go: [records] url, else the order store's database."""
    return _absolute(settings.records.url) if settings.records.url else store_url(settings)


def call_records(settings: Settings) -> CallRecordStore:
    """The call record store; connects on first use and again after an outage."""
    return open_call_records(records_url(settings))


def _absolute(url: str) -> str:
    if url.startswith(_SQLITE):
        path = Path(url[len(_SQLITE) :])
        if not path.is_absolute():
            return _SQLITE + str(ROOT / path)
    return url


def transcript_dir(settings: Settings) -> Path:
    path = settings.transcripts.dir
    return path if path.is_absolute() else ROOT / path


def prepare_store(settings: Settings) -> bool:
    """Create the schema and seed the demo data if needed. Synchronous: runs in prewarm.

    A database that is down does not stop the worker: calls start anyway and their tools
    apologize until it is back. Returns whether the store was reached.
    """

    async def _prepare() -> None:
        store = await open_store(store_url(settings), seed=settings.store.seed, pool_size=1)
        await store.close()

    try:
        asyncio.run(_prepare())
    except StoreUnavailable:
        logger.error("order store unreachable at startup; calls will start without it")
        return False
    return True


def call_store(settings: Settings) -> OrderStore:
    """The store a call uses: opened on first use, reopened after an outage."""
    url, pool_size = store_url(settings), settings.store.pool_size
    return ReconnectingStore(opener=lambda: open_store(url, seed=False, pool_size=pool_size))
