"""HTTP control endpoints, for driving a simulator that runs in another process (CLI)."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from aiohttp import web

from .faults import FAULT_KINDS, STAGES
from .state import SimState


class Control:
    """`/_sim/*`: queue what the STT hears, inject faults, tune latency, read recordings."""

    def __init__(self, *, state: SimState) -> None:
        self._state = state

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/_sim/hears", self.hears),
            web.post("/_sim/faults", self.faults),
            web.get("/_sim/latency", self.get_latency),
            web.patch("/_sim/latency", self.patch_latency),
            web.get("/_sim/received", self.received),
            web.post("/_sim/reset", self.reset),
        ]

    async def hears(self, request: web.Request) -> web.Response:
        """Body `{"texts": ["where is my order", ...]}`."""
        body: dict[str, Any] = await request.json()
        texts = body.get("texts")
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise web.HTTPBadRequest(text="texts must be a list of strings")
        self._state.script.hear(*texts)
        return web.json_response({"queued": len(self._state.script.hears)})

    async def faults(self, request: web.Request) -> web.Response:
        """Body `{"stage": "llm", "kind": "http_500", "times": 1}`."""
        body: dict[str, Any] = await request.json()
        stage, kind, times = body.get("stage"), body.get("kind"), body.get("times", 1)
        if stage not in STAGES or kind not in FAULT_KINDS or not isinstance(times, int):
            raise web.HTTPBadRequest(text=f"stage in {STAGES}, kind in {FAULT_KINDS}")
        self._state.faults.inject(stage, kind, times)
        return web.json_response({"pending": self._state.faults.pending()})

    async def get_latency(self, request: web.Request) -> web.Response:
        return web.json_response(asdict(self._state.latency))

    async def patch_latency(self, request: web.Request) -> web.Response:
        """Body: any subset of the `Latency` fields, in seconds."""
        body: dict[str, Any] = await request.json()
        names = {f.name for f in fields(self._state.latency)}
        for key, value in body.items():
            if key not in names or not isinstance(value, int | float):
                raise web.HTTPBadRequest(text=f"unknown or non-numeric field {key!r}")
        for key, value in body.items():
            setattr(self._state.latency, key, float(value))
        return web.json_response(asdict(self._state.latency))

    async def received(self, request: web.Request) -> web.Response:
        summary = self._state.received.summary()
        summary["faults_fired"] = self._state.faults.fired()
        summary["hears_queued"] = len(self._state.script.hears)
        return web.json_response(summary)

    async def reset(self, request: web.Request) -> web.Response:
        """Forget recordings, armed faults and queued transcripts."""
        self._state.received.clear()
        self._state.faults.clear()
        self._state.script.hears.clear()
        return web.json_response({"ok": True})
