"""Serve the review app until SIGTERM or SIGINT: `python -m review` (README "Reviewing calls")."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable

from aiohttp import web

from agent.bootstrap import call_records
from agent.settings import Settings
from review.app import build_app

logger = logging.getLogger("acme.review")


async def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    ready: Callable[[str], None] = print,
    stop: asyncio.Event | None = None,
) -> None:
    """Listen on host:port (0: any free port) and tell `ready` the URL once listening; stop on
    `stop`, or on SIGTERM / SIGINT when no `stop` is given."""
    store = call_records(settings)
    app = build_app(
        store=store,
        token=settings.secrets.review_token,
        retention_days=settings.records.retention_days,
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1]
        ready(f"review page: http://{host}:{bound}/")
        if stop is None:
            stop = asyncio.Event()
            for sig in (signal.SIGTERM, signal.SIGINT):
                asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()
        await store.close()
