"""Deepgram live STT simulator: the `/v1/listen` WebSocket handshake (key, faults)."""

from __future__ import annotations

from aiohttp import web

from .deepgram_stream import LiveStream
from .faults import HANDSHAKE_FAULTS
from .provider_errors import deepgram_unauthorized, request_key
from .state import SimState


class DeepgramLive:
    """Handler for the `/v1/listen` WebSocket."""

    def __init__(self, *, state: SimState) -> None:
        self._state = state

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/v1/listen", self.listen)]

    async def listen(self, request: web.Request) -> web.StreamResponse:
        state = self._state
        fault = state.faults.take("stt", HANDSHAKE_FAULTS | {"stall"})
        if fault == "stall":
            await state.stall(request)
            return web.Response(status=504)
        if fault is not None:
            status = 429 if fault == "http_429" else 500
            headers = {"Retry-After": str(state.faults.retry_after_s)} if status == 429 else {}
            return web.json_response(
                {"err_code": "SIMULATED", "err_msg": fault}, status=status, headers=headers
            )
        request_id = state.new_id("dg")
        if not state.behaviour.key_accepted("deepgram", request_key(request, "deepgram")):
            return deepgram_unauthorized(request_id)
        ws = web.WebSocketResponse(heartbeat=None)
        ws.headers["dg-request-id"] = request_id
        await ws.prepare(request)
        state.websockets.add(ws)
        try:
            stream = LiveStream(
                state=state, ws=ws, params=list(request.query.items()), request_id=request_id
            )
            await stream.run()
        finally:
            state.websockets.discard(ws)
        return ws
