"""The local LiveKit server: one aiohttp app on 127.0.0.1 with the signal, agent and API routes."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Coroutine
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web
from livekit.protocol import models
from livekit.protocol import room as room_proto
from livekit.protocol.agent_dispatch import RoomAgentDispatch

from simulators.livekit import signal, twirp
from simulators.livekit.agents import AgentService
from simulators.livekit.auth import Credentials
from simulators.livekit.peer import gather_on_loopback_only
from simulators.livekit.room import Room

T = TypeVar("T")
DEV_KEY, DEV_SECRET = "devkey", "secret-of-the-local-livekit-test-server"


class Rooms:
    """Rooms by name; a room is created by the first join (or a dispatch) and closes when empty."""

    def __init__(self, *, departure_timeout: float) -> None:
        self.by_name: dict[str, Room] = {}
        # (room, the agents its configuration names, or none: the default agent)
        self.on_created: list[Callable[[Room, list[RoomAgentDispatch]], None]] = []
        self.on_closed: list[Callable[[Room], Awaitable[None]]] = []
        self._departure_timeout = departure_timeout
        self._tasks: set[asyncio.Task[None]] = set()

    def get_or_create(
        self,
        name: str,
        *,
        room_config: room_proto.RoomConfiguration | None = None,
        dispatch_default: bool = True,
    ) -> Room:
        """The room; a new one gets the agents its configuration names, else the default agent
        (an unnamed worker) unless `dispatch_default` is False (an explicit dispatch creates it).
        """
        room = self.by_name.get(name)
        if room is None:
            room = Room(name, departure_timeout=self._departure_timeout, on_empty=self._empty)
            self.by_name[name] = room
            agents = list(room_config.agents) if room_config is not None else []
            if not agents and dispatch_default:
                agents = [RoomAgentDispatch(agent_name="")]
            for hook in self.on_created:
                hook(room, agents)
        return room

    async def delete(self, name: str, reason: models.DisconnectReason) -> bool:
        room = self.by_name.pop(name, None)
        if room is None:
            return False
        await room.close(reason)
        for hook in self.on_closed:
            await hook(room)
        return True

    def _empty(self, room: Room) -> None:
        if self.by_name.get(room.name) is room and not room.has_callers():
            task = asyncio.create_task(self._close_empty(room.name))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _close_empty(self, name: str) -> None:
        await self.delete(name, models.DisconnectReason.ROOM_CLOSED)

    async def close(self) -> None:
        for name in list(self.by_name):
            await self.delete(name, models.DisconnectReason.SERVER_SHUTDOWN)
        await asyncio.gather(*self._tasks, return_exceptions=True)


class LiveKitServer:
    """`async with LiveKitServer() as lk:` then point clients and workers at `lk.url`."""

    def __init__(
        self,
        *,
        api_key: str = DEV_KEY,
        api_secret: str = DEV_SECRET,
        port: int = 0,
        departure_timeout: float = 1.0,
    ) -> None:
        gather_on_loopback_only()
        self.credentials = Credentials(api_key, api_secret)
        self.rooms = Rooms(departure_timeout=departure_timeout)
        self.agents = AgentService(self)
        self.api = twirp.ServerApi(self)
        self.events: list[tuple[str, str, str]] = []  # ("joined" | "left", room, identity)
        self._port = port
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def app(self) -> web.Application:
        app = web.Application(middlewares=[_cors])
        app[signal.SERVER] = self
        app.router.add_get("/rtc", signal.rtc)
        app.router.add_get("/rtc/validate", signal.validate)
        app.router.add_get("/rtc/v1", signal.single_pc_not_supported)
        app.router.add_get("/rtc/v1/validate", signal.single_pc_not_supported)
        app.router.add_get("/agent", self.agents.handle)
        app.router.add_post("/twirp/livekit.{service}/{method}", self.api.handle)
        app.router.add_route("OPTIONS", "/{tail:.*}", _preflight)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        self._port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        await self.agents.close()
        await self.rooms.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LiveKitServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @classmethod
    def run_in_thread(cls, **kwargs: Any) -> LiveKitServerThread:
        return LiveKitServerThread(cls(**kwargs))


class LiveKitServerThread:
    """The server on its own event loop and thread; `call()` runs a coroutine there."""

    def __init__(self, server: LiveKitServer) -> None:
        self.server = server
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="livekit-server")
        self._thread.daemon = True
        self._thread.start()
        self.call(server.start)

    @property
    def url(self) -> str:
        return self.server.url

    def call(self, fn: Callable[[], Coroutine[Any, Any, T]], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(fn(), self._loop).result(timeout)

    async def call_async(self, fn: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """`call()` from another event loop, without blocking it."""
        future = asyncio.run_coroutine_threadsafe(fn(), self._loop)
        return await asyncio.wrap_future(future)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.call(self.server.stop)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@web.middleware
async def _cors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    response = await handler(request)
    if not isinstance(response, web.WebSocketResponse) and not response.prepared:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


async def _preflight(request: web.Request) -> web.Response:
    return web.Response(
        headers={
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": "Authorization, Content-Type",
        }
    )
