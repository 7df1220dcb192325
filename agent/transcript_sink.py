"""Durable per-call transcript file: JSON lines appended off the event loop, flushed per record."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

logger = logging.getLogger("acme.transcripts")

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


class TranscriptSink:
    """Appends one JSON record per line to `<dir>/<call_id>.jsonl` on a dedicated thread.

    Records keep their order (one writer thread); each is flushed to the OS before the next is
    written, so a killed process loses no finished record. `fsync=True` also survives power loss.
    """

    def __init__(self, *, directory: Path, call_id: str, fsync: bool = False) -> None:
        name = _SAFE_NAME.sub("_", call_id).strip("._") or "call"
        self.path = directory / f"{name}.jsonl"
        self._fsync = fsync
        self._file: IO[str] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="transcript")
        self._pending: set[asyncio.Future[None]] = set()
        self._closed = False
        self.records_written = 0
        self.write_errors = 0

    def write(self, record: dict[str, Any]) -> None:
        """Queue a record for writing; never blocks the caller."""
        if self._closed:
            logger.warning("transcript record after close dropped", extra={"path": str(self.path)})
            return
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        fut = asyncio.get_running_loop().run_in_executor(self._executor, self._append, line)
        self._pending.add(fut)
        fut.add_done_callback(self._pending.discard)

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
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("a", encoding="utf-8")
            self._file.write(line)
            self._file.flush()
            if self._fsync:
                os.fsync(self._file.fileno())
            self.records_written += 1
        except OSError:
            self.write_errors += 1
            logger.exception("transcript write failed", extra={"path": str(self.path)})

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
