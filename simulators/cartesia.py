"""Cartesia TTS simulator: WebSocket contexts and `/tts/bytes`, speech-like PCM16 audio."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .audio import iter_chunks, synthesize_async
from .cartesia_socket import CHUNK_S, TtsSocket, sample_rate_of
from .faults import HANDSHAKE_FAULTS, FaultKind
from .provider_errors import cartesia_unauthorized, request_key
from .record import TtsRequest
from .state import SimState


class CartesiaTts:
    """Handlers for WS `/tts/websocket` and `POST /tts/bytes`."""

    def __init__(self, *, state: SimState) -> None:
        self._state = state

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/tts/websocket", self.websocket), web.post("/tts/bytes", self.bytes)]

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        state = self._state
        fault = state.faults.take("tts", HANDSHAKE_FAULTS)
        if fault is not None:
            return _error_response(fault, state)
        if not state.behaviour.key_accepted("cartesia", request_key(request, "cartesia")):
            return cartesia_unauthorized()
        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        state.websockets.add(ws)
        try:
            await TtsSocket(state=state, ws=ws).run()
        finally:
            state.websockets.discard(ws)
        return ws

    async def bytes(self, request: web.Request) -> web.StreamResponse:
        state = self._state
        if not state.behaviour.key_accepted("cartesia", request_key(request, "cartesia")):
            return cartesia_unauthorized()
        body: dict[str, Any] = await request.json()
        sample_rate = sample_rate_of(body)
        record = TtsRequest(
            context_id=state.new_id("bytes"),
            sample_rate=sample_rate,
            via="bytes",
            text=str(body.get("transcript", "")),
            model=str(body.get("model_id", "")),
            voice=str((body.get("voice") or {}).get("id", "")),
        )
        state.received.tts_requests.append(record)
        fault = state.faults.take("tts")
        if fault in HANDSHAKE_FAULTS:
            return _error_response(fault, state)
        if fault == "stall":
            await state.stall(request)
            return web.Response(status=504)
        resp = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        await resp.prepare(request)
        if fault == "malformed":
            await resp.write(b'{"error": not json')
            return resp
        await state.sleep(state.latency.tts_ttfb_s)
        chunks = list(
            iter_chunks(
                await synthesize_async(record.text, sample_rate=sample_rate),
                sample_rate=sample_rate,
                chunk_s=CHUNK_S,
            )
        )
        for i, chunk in enumerate(chunks):
            if fault == "close_mid_stream" and i >= len(chunks) // 2:
                if request.transport is not None:
                    request.transport.abort()
                return resp
            await resp.write(chunk)
            record.audio_bytes += len(chunk)
            await state.sleep(state.latency.audio_pace_s(len(chunk) / 2 / sample_rate))
        await resp.write_eof()
        record.done = True
        return resp


def _error_response(fault: FaultKind, state: SimState) -> web.Response:
    if fault == "http_429":
        return web.json_response(
            {"error": "rate limited (simulated)"},
            status=429,
            headers={"Retry-After": str(state.faults.retry_after_s)},
        )
    return web.json_response({"error": "internal error (simulated)"}, status=500)
