"""Ships spools that no live call holds: calls whose records could not all reach the database
(an outage, a drain cut short) and calls whose worker died (`kill -9`, a crash, a power cut).

Runs in the worker's main process: at start, every `interval` seconds, and once more before the
worker exits. A spool is live while its writer holds its `flock`; an unlocked spool without a
`.shipped` mark is shipped whole (the store skips records it already has) and then marked. A
spool with no summary belonged to a call that never ended: it is closed as an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from agent.records.summary import lost_call_summary
from tools.call_records import CallRecordStore
from tools.errors import StoreUnavailable

logger = logging.getLogger("acme.records")

SHIPPED = ".shipped"


def shipped_mark(spool: Path) -> Path:
    return spool.with_name(spool.name + SHIPPED)


def mark_shipped(spool: Path) -> None:
    shipped_mark(spool).touch()


def read_spool(spool: Path) -> list[dict[str, Any]]:
    """Every whole record of a spool; a torn last line (a write cut by a crash) is left out."""
    text = spool.read_text(encoding="utf-8")
    records = []
    for line in text.split("\n")[:-1]:
        try:
            record = json.loads(line)
        except ValueError:
            logger.warning("unreadable spool line skipped", extra={"path": str(spool)})
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


@contextlib.contextmanager
def unlocked_spool(spool: Path) -> Iterator[IO[str] | None]:
    """The spool opened and locked by us, or None while a live call holds it."""
    try:
        f = spool.open("r", encoding="utf-8")
    except FileNotFoundError:
        yield None
        return
    try:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        yield f
    finally:
        f.close()


@dataclass
class SweepResult:
    shipped: int = 0
    """Spools shipped whole and marked."""
    pending: int = 0
    """Spools left for a later sweep (the database was unreachable)."""


class SpoolSweeper:
    """Ships left-behind spools of one transcript directory; owns its periodic task."""

    def __init__(
        self,
        *,
        directory: Path,
        store: Callable[[], CallRecordStore],
        interval: float = 30.0,
    ) -> None:
        self._directory = directory
        self._open_store = store
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Sweep now and every `interval` seconds, on the running loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._every_interval(), name="acme-spool-sweeper"
            )

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def sweep(self) -> SweepResult:
        """Ship every spool no live call holds; the store is opened for the sweep only."""
        result = SweepResult()
        spools = await asyncio.to_thread(self._candidates)
        if not spools:
            return result
        store = self._open_store()
        try:
            for spool in spools:
                if await self._ship(spool, store):
                    result.shipped += 1
        except StoreUnavailable:
            result.pending = len(spools) - result.shipped
            logger.warning("call record store unreachable; spools wait", extra=vars(result))
        finally:
            await store.close()
        if result.shipped:
            logger.info("left-behind call records shipped", extra=vars(result))
        return result

    async def _every_interval(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                logger.exception("spool sweep failed")
            await asyncio.sleep(self._interval)

    def _candidates(self) -> list[Path]:
        if not self._directory.is_dir():
            return []
        spools = self._directory.glob("*.jsonl")
        return sorted(s for s in spools if not shipped_mark(s).exists())

    async def _ship(self, spool: Path, store: CallRecordStore) -> bool:
        """Ship one spool if no live call holds it; True once it is in the store and marked."""
        with unlocked_spool(spool) as held:
            if held is None:
                return False
            records = await asyncio.to_thread(read_spool, spool)
            header = next((r for r in records if r.get("type") == "call"), None)
            if header is None:
                logger.warning("spool without a call header skipped", extra={"path": str(spool)})
                return False
            if not any(r.get("type") == "summary" for r in records):
                ended_at = (await asyncio.to_thread(spool.stat)).st_mtime
                summary = lost_call_summary(records, ended_at=ended_at)
                records.append({**summary, "seq": max(r.get("seq", 0) for r in records) + 1})
            call_id = str(header["call_id"])
            for start in range(0, len(records), 200):
                await store.add(call_id, records[start : start + 200])
            await asyncio.to_thread(mark_shipped, spool)
            return True
