"""Durable per-call transcript spool: JSON lines appended off the event loop, flushed per record."""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

logger = logging.getLogger("acme.transcripts")

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def spool_path(directory: Path, call_id: str) -> Path:
    name = _SAFE_NAME.sub("_", call_id).strip("._") or "call"
    return directory / f"{name}.jsonl"


class TranscriptSink:
    """Appends one JSON record per line to `<dir>/<call_id>.jsonl` on a dedicated thread.

    Records keep their order (one writer thread) and are numbered (`seq`) as they are queued;
    each is flushed to the OS before the next is written, so a killed process loses no finished
    record. `fsync=True` also survives power loss. While open, the file holds an exclusive
    `flock`, which tells anyone shipping spools left behind that this call is still alive: the
    lock goes when the process does, `kill -9` included.
    """

    def __init__(self, *, directory: Path, call_id: str, fsync: bool = False) -> None:
        self.path = spool_path(directory, call_id)
        self._fsync = fsync
        self.forward: Callable[[dict[str, Any]], None] | None = None
        """Sees every record (with its `seq`) as it is queued, on the event loop."""
        self._file: IO[str] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="transcript")
        self._pending: set[asyncio.Future[None]] = set()
        self._closed = False
        self._seq = 0
        self.records_written = 0
        self.write_errors = 0

    def write(self, record: dict[str, Any]) -> None:
        """Number and queue a record for writing; never blocks the caller."""
        if self._closed:
            logger.warning("transcript record after close dropped", extra={"path": str(self.path)})
            return
        record = {**record, "seq": self._seq}
        self._seq += 1
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        fut = asyncio.get_running_loop().run_in_executor(self._executor, self._append, line)
        self._pending.add(fut)
        fut.add_done_callback(self._pending.discard)
        if self.forward is not None:
            self.forward(record)

    async def drain(self) -> None:
        """Wait until every queued record is on disk."""
        if self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def aclose(self) -> None:
        self._closed = True
        await self.drain()
        await asyncio.get_running_loop().run_in_executor(self._executor, self._close_file)
        self._executor.shutdown(wait=True)

    def _append(self, line: str) -> None:
        try:
            if self._file is None:
                self._file = self._open_locked()
            self._file.write(line)
            self._file.flush()
            if self._fsync:
                os.fsync(self._file.fileno())
            self.records_written += 1
        except OSError:
            self.write_errors += 1
            logger.exception("transcript write failed", extra={"path": str(self.path)})

    def _open_locked(self) -> IO[str]:
        """Open for appending with the lock held; a new spool gets its name only once locked,
        so no one ever sees it unlocked while this call lives."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            f = self.path.open("a", encoding="utf-8")
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            return f
        fresh = self.path.with_name(f".{self.path.name}.{os.getpid()}.new")
        f = fresh.open("a", encoding="utf-8")
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            os.replace(fresh, self.path)
        except OSError:
            f.close()
            raise
        return f

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()  # releases the lock
            self._file = None
