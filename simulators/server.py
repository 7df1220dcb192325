"""One local aiohttp server speaking the OpenAI, Deepgram and Cartesia wire protocols."""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

from aiohttp import web

from .audio import SegmenterConfig
from .behaviour import Behaviour
from .cartesia import CartesiaTts
from .chat import ChatCompletions
from .control import Control
from .deepgram import DeepgramLive
from .faults import Faults
from .latency import Latency
from .log import logger
from .openai_audio import OpenAIAudio
from .realtime import OpenAIRealtime
from .record import Received
from .script import Script
from .state import SimState

HOST = "127.0.0.1"


class ProviderSimulator:
    """Serves Chat Completions, Realtime, OpenAI audio, Deepgram live STT and Cartesia TTS.

    Use `async with ProviderSimulator(...) as sim:` in tests, point the plugins at
    `sim.openai_base_url`, `sim.deepgram_base_url` and `sim.cartesia_base_url`, and
    read `sim.received` afterwards. `script`, `latency` and `faults` can change while serving.
    """

    def __init__(
        self,
        *,
        script: Script | None = None,
        latency: Latency | None = None,
        faults: Faults | None = None,
        segmenter: SegmenterConfig | None = None,
        behaviour: Behaviour | None = None,
        port: int = 0,
    ) -> None:
        self._requested_port = port
        self._state = SimState(
            script=script or Script(),
            latency=latency or Latency(),
            faults=faults or Faults(),
            segmenter=segmenter or SegmenterConfig(),
            behaviour=behaviour or Behaviour(),
        )
        self._runner: web.AppRunner | None = None
        self._port = 0

    @property
    def script(self) -> Script:
        return self._state.script

    @script.setter
    def script(self, script: Script) -> None:
        self._state.script = script

    @property
    def latency(self) -> Latency:
        return self._state.latency

    @latency.setter
    def latency(self, latency: Latency) -> None:
        self._state.latency = latency

    @property
    def faults(self) -> Faults:
        return self._state.faults

    @property
    def behaviour(self) -> Behaviour:
        return self._state.behaviour

    @property
    def received(self) -> Received:
        return self._state.received

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("simulator not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """For `openai.LLM(base_url=...)` and `openai.realtime.RealtimeModel(base_url=...)`."""
        return f"{self.base_url}/v1"

    @property
    def deepgram_base_url(self) -> str:
        """For `deepgram.STT(base_url=...)`."""
        return f"{self.base_url}/v1/listen"

    @property
    def cartesia_base_url(self) -> str:
        """For `cartesia.TTS(base_url=...)`."""
        return self.base_url

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        state = self._state
        for provider in (
            ChatCompletions(state=state),
            OpenAIRealtime(state=state),
            DeepgramLive(state=state),
            CartesiaTts(state=state),
            OpenAIAudio(state=state),
            Control(state=state),
        ):
            app.add_routes(provider.routes())
        app.on_shutdown.append(self._on_shutdown)
        return app

    async def _on_shutdown(self, app: web.Application) -> None:
        self._state.closing.set()
        for ws in list(self._state.websockets):
            await ws.close(code=1001, message=b"simulator shutting down")

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        self._state.closing.clear()
        runner = web.AppRunner(
            self._app(), handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(runner, HOST, self._requested_port, reuse_address=True)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        logger.info("simulators listening", extra={"port": self._port})

    async def aclose(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            self._state.closing.set()
            await runner.cleanup()

    async def __aenter__(self) -> ProviderSimulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @classmethod
    def run_in_thread(
        cls,
        *,
        script: Script | None = None,
        latency: Latency | None = None,
        faults: Faults | None = None,
        segmenter: SegmenterConfig | None = None,
        behaviour: Behaviour | None = None,
        port: int = 0,
    ) -> SimulatorThread:
        """Serve from a background thread with its own event loop; returns once listening."""
        sim = cls(
            script=script,
            latency=latency,
            faults=faults,
            segmenter=segmenter,
            behaviour=behaviour,
            port=port,
        )
        return SimulatorThread(simulator=sim)


class SimulatorThread:
    """A simulator serving from its own thread; `stop()` (or leaving `with`) shuts it down."""

    def __init__(self, *, simulator: ProviderSimulator, start_timeout_s: float = 10.0) -> None:
        self.simulator = simulator
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="provider-simulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(start_timeout_s):
            raise RuntimeError("simulator thread did not start")
        if self._error is not None:
            raise RuntimeError("simulator thread failed to start") from self._error

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        try:
            await self.simulator.start()
        except BaseException as e:
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await self.simulator.aclose()

    @property
    def port(self) -> int:
        return self.simulator.port

    @property
    def openai_base_url(self) -> str:
        return self.simulator.openai_base_url

    @property
    def deepgram_base_url(self) -> str:
        return self.simulator.deepgram_base_url

    @property
    def cartesia_base_url(self) -> str:
        return self.simulator.cartesia_base_url

    def stop(self, timeout_s: float = 10.0) -> None:
        """Shut the server down and join the thread (idempotent)."""
        if self._thread.is_alive() and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout_s)

    def __enter__(self) -> SimulatorThread:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
