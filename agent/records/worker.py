"""The worker's part in call records: ship left-behind spools at start, every so often while it
runs (a database that was down is back), and once more just before the process exits."""

from __future__ import annotations

import asyncio
import logging

from agent.bootstrap import call_records, transcript_dir
from agent.records.sweeper import SpoolSweeper
from agent.settings import ConfigError, Settings, load_settings

logger = logging.getLogger("acme.records")

SWEEPING_COMMANDS = frozenset({"console", "dev", "start"})


def spool_sweeper(settings: Settings) -> SpoolSweeper:
    return SpoolSweeper(
        directory=transcript_dir(settings),
        store=lambda: call_records(settings),
        interval=settings.records.sweep_interval,
    )


class WorkerRecords:
    """Owns the worker's spool sweeper (its periodic task lives on the worker's loop)."""

    def __init__(self) -> None:
        self._sweeper: SpoolSweeper | None = None

    def on_worker_started(self) -> None:
        """`worker_started` handler: runs on the worker's event loop."""
        try:
            settings = load_settings(require_keys=False)
        except ConfigError:
            return  # main() has reported it
        self._sweeper = spool_sweeper(settings)
        self._sweeper.start()

    def before_exit(self, command: str) -> None:
        """After the worker's loop has closed: one last sweep, bounded by `ship_timeout`."""
        if command not in SWEEPING_COMMANDS:
            return
        try:
            settings = load_settings(require_keys=False)
        except ConfigError:
            return
        try:
            asyncio.run(
                asyncio.wait_for(spool_sweeper(settings).sweep(), settings.records.ship_timeout)
            )
        except TimeoutError:
            logger.warning("call records left in spools at exit; the next start ships them")
