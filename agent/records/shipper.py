"""Ships one call's records to the database as the call goes: in order, in batches, retrying.

The spool file is the durable copy; this is the fast path that makes a call reviewable within
seconds. A database outage only delays it: records wait in memory (and on disk) and go when the
database answers again. Whatever is still unshipped when the call is released stays in the
spool for the worker's spool sweeper.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from tools.call_records import CallRecordStore
from tools.errors import StoreUnavailable

logger = logging.getLogger("acme.records")

BATCH = 50
RETRY_S = (0.25, 0.5, 1.0, 2.0, 4.0)
"""Waits between attempts while the database is unreachable (the last one repeats)."""


class RecordShipper:
    """Stores every record it is given, in order, exactly once (the store skips repeats)."""

    def __init__(self, *, store: CallRecordStore, call_id: str) -> None:
        self._store = store
        self._call_id = call_id
        self.records: list[dict[str, Any]] = []
        """Every record given so far, shipped or not."""
        self.shipped = 0
        self._wake = asyncio.Event()
        self._caught_up = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self.failures = 0

    @property
    def complete(self) -> bool:
        return self.shipped == len(self.records)

    def add(self, record: dict[str, Any]) -> None:
        """Queue a record (on the event loop); the shipping task starts with the first one."""
        self.records.append(record)
        self._wake.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="acme-record-shipper"
            )

    async def caught_up(self) -> None:
        """Wait until every record given so far is stored."""
        while not self.complete:
            self._caught_up.clear()
            await self._caught_up.wait()

    async def drain(self, within: float) -> bool:
        """No more records: ship the rest within `within` seconds, then stop. True when every
        record reached the database."""
        self._closing = True
        self._wake.set()
        task = self._task
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), within)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if not self.complete:
            logger.warning(
                "call records left in the spool",
                extra={"call_id": self._call_id, "unshipped": len(self.records) - self.shipped},
            )
        return self.complete

    async def _run(self) -> None:
        attempt = 0
        while True:
            if self.complete:
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = self.records[self.shipped : self.shipped + BATCH]
            try:
                await self._store.add(self._call_id, batch)
            except StoreUnavailable:
                self.failures += 1
                await asyncio.sleep(RETRY_S[min(attempt, len(RETRY_S) - 1)])
                attempt += 1
                continue
            except Exception:  # a record the database refuses: it stays in the spool only
                logger.exception("call records refused", extra={"call_id": self._call_id})
            if attempt:
                logger.info("call records shipping again", extra={"call_id": self._call_id})
            attempt = 0
            self.shipped += len(batch)
            self._caught_up.set()
