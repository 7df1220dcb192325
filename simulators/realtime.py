"""OpenAI Realtime simulator: the `/v1/realtime` WebSocket handshake (key, faults)."""

from __future__ import annotations

import json

from aiohttp import web

from .faults import HANDSHAKE_FAULTS
from .provider_errors import openai_invalid_key, request_key
from .realtime_connection import Connection
from .state import SimState

INVALID_KEY_CLOSE = 3000


class OpenAIRealtime:
    """Handler for the `/v1/realtime` WebSocket."""

    def __init__(self, *, state: SimState) -> None:
        self._state = state

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/v1/realtime", self.realtime)]

    async def realtime(self, request: web.Request) -> web.StreamResponse:
        state = self._state
        fault = state.faults.take("realtime", HANDSHAKE_FAULTS | {"stall"})
        if fault == "stall":
            await state.stall(request)
            return web.Response(status=504)
        if fault is not None:
            status = 429 if fault == "http_429" else 500
            return web.json_response({"error": {"message": f"simulated {fault}"}}, status=status)
        ws = web.WebSocketResponse(heartbeat=None, max_msg_size=16 * 1024 * 1024)
        await ws.prepare(request)
        key = request_key(request, "openai")
        if not state.behaviour.key_accepted("openai", key):
            # The real API upgrades the socket first, then refuses the key on it.
            error = openai_invalid_key(key)
            await ws.send_str(
                json.dumps(
                    {
                        "type": "error",
                        "event_id": state.new_id("event"),
                        "error": {**error, "event_id": None},
                    }
                )
            )
            await ws.close(code=INVALID_KEY_CLOSE, message=b"invalid_request_error.invalid_api_key")
            return ws
        state.websockets.add(ws)
        try:
            await Connection(state=state, ws=ws, query=dict(request.query)).run()
        finally:
            state.websockets.discard(ws)
        return ws
