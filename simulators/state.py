"""State one simulator shares with its provider handlers, and helpers they all use."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
from collections.abc import Awaitable
from dataclasses import dataclass, field

from aiohttp import web

from .audio import SegmenterConfig
from .behaviour import Behaviour
from .faults import Faults
from .latency import Latency
from .record import Received
from .script import Script

_POLL_S = 0.05


@dataclass(kw_only=True)
class SimState:
    """Script, latency, faults and recordings; handlers read them at every use."""

    script: Script
    latency: Latency
    faults: Faults
    segmenter: SegmenterConfig
    behaviour: Behaviour = field(default_factory=Behaviour)
    received: Received = field(default_factory=Received)
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    websockets: set[web.WebSocketResponse] = field(default_factory=set)
    _counter: itertools.count[int] = field(default_factory=itertools.count)

    def new_id(self, prefix: str) -> str:
        """Unique, readable ids such as `resp_0007ab12cd34`."""
        return f"{prefix}_{next(self._counter):04d}{secrets.token_hex(4)}"

    async def sleep(self, seconds: float) -> None:
        """Sleep, yielding even for 0 so streamed output interleaves fairly."""
        await asyncio.sleep(max(0.0, seconds))

    async def stall(self, request: web.Request) -> None:
        """Hold a request open until its client disconnects or the simulator closes."""
        while not self.closing.is_set():
            transport = request.transport
            if transport is None or transport.is_closing():
                return
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.closing.wait(), _POLL_S)


class TaskGroup:
    """Owns the background tasks of one connection: cancelled and awaited on close."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Awaitable[None], *, name: str) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def join(self) -> None:
        """Wait for the running tasks to finish on their own."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
