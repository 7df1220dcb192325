"""Cartesia TTS simulator: WebSocket contexts and `/tts/bytes`, speech-like PCM16 audio."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import aiohttp
from aiohttp import web

from .audio import iter_chunks, synthesize_async
from .faults import HANDSHAKE_FAULTS, STREAM_FAULTS, FaultKind
from .log import logger
from .record import TtsRequest
from .state import SimState, TaskGroup

CHUNK_S = 0.03
DEFAULT_SAMPLE_RATE = 24000


def _sample_rate(msg: dict[str, Any]) -> int:
    return int((msg.get("output_format") or {}).get("sample_rate") or DEFAULT_SAMPLE_RATE)


def _word_timestamps(text: str, offset_s: float, duration_s: float) -> dict[str, list[Any]]:
    words = text.split()
    total = sum(len(w) for w in words) or 1
    starts, ends, t = [], [], offset_s
    for word in words:
        span = duration_s * len(word) / total
        starts.append(round(t, 3))
        t += span
        ends.append(round(t, 3))
    return {"words": words, "start": starts, "end": ends}


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
        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        state.websockets.add(ws)
        try:
            await _TtsSocket(state=state, ws=ws).run()
        finally:
            state.websockets.discard(ws)
        return ws

    async def bytes(self, request: web.Request) -> web.StreamResponse:
        state = self._state
        body: dict[str, Any] = await request.json()
        sample_rate = _sample_rate(body)
        record = TtsRequest(
            context_id=state.new_id("bytes"),
            sample_rate=sample_rate,
            via="bytes",
            text=str(body.get("transcript", "")),
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


class _TtsSocket:
    """One TTS WebSocket: any number of concurrent contexts, each with its own worker."""

    def __init__(self, *, state: SimState, ws: web.WebSocketResponse) -> None:
        self._state = state
        self._ws = ws
        self._queues: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._records: dict[str, TtsRequest] = {}
        self._cancelled: set[str] = set()
        self._tasks = TaskGroup()
        self._lock = asyncio.Lock()

    async def _send(self, payload: dict[str, Any] | str) -> None:
        async with self._lock:
            if not self._ws.closed:
                await self._ws.send_str(
                    payload if isinstance(payload, str) else json.dumps(payload)
                )

    async def run(self) -> None:
        try:
            async for msg in self._ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(msg.data)
                except json.JSONDecodeError:
                    await self._send({"type": "error", "status_code": 400, "error": "invalid JSON"})
                    continue
                await self._on_message(data)
        finally:
            await self._tasks.aclose()

    async def _on_message(self, data: dict[str, Any]) -> None:
        context_id = data.get("context_id")
        if not isinstance(context_id, str) or not context_id:
            await self._send(
                {"type": "error", "status_code": 400, "error": "context_id is required"}
            )
            return
        if data.get("cancel"):
            self._cancelled.add(context_id)
            if (worker := self._workers.pop(context_id, None)) is not None:
                worker.cancel()
                self._records[context_id].cancelled = True
            return
        if context_id in self._cancelled:
            return
        if context_id not in self._workers:
            record = TtsRequest(
                context_id=context_id, sample_rate=_sample_rate(data), via="websocket"
            )
            self._state.received.tts_requests.append(record)
            self._records[context_id] = record
            self._queues[context_id] = asyncio.Queue()
            self._workers[context_id] = self._tasks.spawn(
                self._context(context_id, record), name="cartesia-context"
            )
        self._queues[context_id].put_nowait(data)

    async def _context(self, context_id: str, record: TtsRequest) -> None:
        state = self._state
        queue = self._queues[context_id]
        fault = state.faults.take("tts", STREAM_FAULTS | {"stall"})
        elapsed_s = 0.0
        first = True
        while True:
            msg = await queue.get()
            piece = str(msg.get("transcript", ""))
            record.text = " ".join((record.text + " " + piece).split())
            if fault == "stall":
                continue
            if piece.strip():
                if first:
                    await state.sleep(state.latency.tts_ttfb_s)
                    first = False
                elapsed_s = await self._speak(
                    context_id, record, piece, elapsed_s, bool(msg.get("add_timestamps")), fault
                )
                if elapsed_s < 0:
                    return
                fault = None
            if not msg.get("continue", False):
                break
        record.done = True
        await self._send(
            {"type": "done", "done": True, "status_code": 206, "context_id": context_id}
        )
        self._workers.pop(context_id, None)

    async def _speak(
        self,
        context_id: str,
        record: TtsRequest,
        text: str,
        offset_s: float,
        timestamps: bool,
        fault: FaultKind | None,
    ) -> float:
        """Send audio for one transcript piece; returns the new offset, or -1 if dropped."""
        state, rate = self._state, record.sample_rate
        if fault == "malformed":
            await self._send("{not json")
        pcm = await synthesize_async(text.strip(), sample_rate=rate)
        duration_s = len(pcm) / 2 / rate
        chunks = list(iter_chunks(pcm, sample_rate=rate, chunk_s=CHUNK_S))
        for i, chunk in enumerate(chunks):
            if fault == "close_mid_stream" and i >= len(chunks) // 2:
                logger.info("tts socket dropped by fault", extra={"context_id": context_id})
                await self._ws.close(code=aiohttp.WSCloseCode.INTERNAL_ERROR)
                return -1
            await self._send(
                {
                    "type": "chunk",
                    "data": base64.b64encode(chunk).decode(),
                    "done": False,
                    "status_code": 206,
                    "step_time": 1.0,
                    "context_id": context_id,
                }
            )
            record.audio_bytes += len(chunk)
            if i == 0 and timestamps:
                await self._send(
                    {
                        "type": "timestamps",
                        "done": False,
                        "status_code": 206,
                        "context_id": context_id,
                        "word_timestamps": _word_timestamps(text, offset_s, duration_s),
                    }
                )
            await state.sleep(state.latency.audio_pace_s(len(chunk) / 2 / rate))
        return offset_s + duration_s
