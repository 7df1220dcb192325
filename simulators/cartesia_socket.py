"""One Cartesia TTS WebSocket: contexts multiplexed on it, each buffered to sentence boundaries.

Per context, as the real service does: text is held until it ends a sentence (or
`max_buffer_delay_ms` passes; 0 speaks every piece at once); `flush: true` speaks what is held and
answers `flush_done`; `continue: false` speaks the rest and ends with `done`. Audio chunks carry
their `flush_id`; with `add_timestamps`, word timestamps are streamed alongside the audio they
belong to. A failing context gets an `error` message with its status code and `done: true`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
from typing import Any

import aiohttp
from aiohttp import web

from .audio import SECONDS_PER_CHAR, iter_chunks, synthesize_async
from .faults import STREAM_FAULTS, FaultKind
from .log import logger
from .provider_errors import cartesia_context_error
from .record import TtsRequest
from .state import SimState, TaskGroup

CHUNK_S = 0.03
DEFAULT_SAMPLE_RATE = 24000
DEFAULT_BUFFER_DELAY_MS = 3000
_SENTENCE_END = re.compile(r"[.!?](?:[\"')\]]*)\s")


def sample_rate_of(msg: dict[str, Any]) -> int:
    return int((msg.get("output_format") or {}).get("sample_rate") or DEFAULT_SAMPLE_RATE)


def word_timestamps(
    text: str, offset_s: float, duration_s: float
) -> list[tuple[str, float, float]]:
    words = text.split()
    total = sum(len(w) for w in words) or 1
    out, t = [], offset_s
    for word in words:
        span = duration_s * len(word) / total
        out.append((word, round(t, 3), round(t + span, 3)))
        t += span
    return out


def complete_sentences(buffer: str) -> tuple[str, str]:
    """(the complete sentences at the start of `buffer`, the rest)."""
    ends = [m.end() for m in _SENTENCE_END.finditer(buffer)]
    return (buffer[: ends[-1]], buffer[ends[-1] :]) if ends else ("", buffer)


class _Dropped(Exception):
    """The socket was closed by a fault in the middle of a context."""


class TtsSocket:
    """Any number of concurrent contexts, each with its own worker."""

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
                context_id=context_id,
                sample_rate=sample_rate_of(data),
                via="websocket",
                model=str(data.get("model_id", "")),
                voice=str((data.get("voice") or {}).get("id", "")),
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
        fault = state.faults.take("tts", STREAM_FAULTS | {"stall", "context_error"})
        speaker = _Speaker(socket=self, context_id=context_id, record=record, fault=fault)
        buffer, flush_id = "", 0
        try:
            while True:
                msg = await self._next(queue, buffer, speaker.buffer_delay_s)
                if msg is None:  # held text waited long enough
                    await speaker.speak(buffer, flush_id)
                    buffer = ""
                    continue
                piece = str(msg.get("transcript", ""))
                record.text = " ".join((record.text + " " + piece).split())
                speaker.configure(msg)
                if fault == "stall":
                    continue
                if fault == "context_error":
                    await self._send(cartesia_context_error(context_id))
                    return
                buffer += piece
                if msg.get("flush"):
                    await speaker.speak(buffer, flush_id)
                    buffer = ""
                    await self._send(
                        {
                            "type": "flush_done",
                            "context_id": context_id,
                            "flush_done": True,
                            "flush_id": flush_id,
                            "status_code": 206,
                        }
                    )
                    flush_id += 1
                elif not msg.get("continue", False):
                    break
                elif speaker.buffer_delay_s == 0:
                    await speaker.speak(buffer, flush_id)
                    buffer = ""
                else:
                    ready, buffer = complete_sentences(buffer)
                    await speaker.speak(ready, flush_id)
            await speaker.speak(buffer, flush_id)
        except _Dropped:
            return
        record.done = True
        await self._send(
            {"type": "done", "done": True, "status_code": 206, "context_id": context_id}
        )
        self._workers.pop(context_id, None)

    async def _next(
        self, queue: asyncio.Queue[dict[str, Any]], buffer: str, delay_s: float
    ) -> dict[str, Any] | None:
        if not buffer.strip() or delay_s <= 0:
            return await queue.get()
        with contextlib.suppress(TimeoutError):
            return await asyncio.wait_for(queue.get(), delay_s)
        return None

    @property
    def state(self) -> SimState:
        return self._state

    async def send(self, payload: dict[str, Any] | str) -> None:
        await self._send(payload)

    async def drop(self) -> None:
        await self._ws.close(code=aiohttp.WSCloseCode.INTERNAL_ERROR)


class _Speaker:
    """Synthesises one context's text, keeping its place in the audio for timestamps."""

    def __init__(
        self, *, socket: TtsSocket, context_id: str, record: TtsRequest, fault: FaultKind | None
    ) -> None:
        self._socket = socket
        self._context_id = context_id
        self._record = record
        self._fault = fault
        self._offset_s = 0.0
        self._first = True
        self._timestamps = False
        self.buffer_delay_s = DEFAULT_BUFFER_DELAY_MS / 1000

    def configure(self, msg: dict[str, Any]) -> None:
        self._timestamps = bool(msg.get("add_timestamps", self._timestamps))
        if "max_buffer_delay_ms" in msg:
            self.buffer_delay_s = int(msg["max_buffer_delay_ms"]) / 1000

    async def speak(self, text: str, flush_id: int) -> None:
        if not text.strip():
            return
        state, rate = self._socket.state, self._record.sample_rate
        join_s = 0.0  # text continuing the context's speech: the space before it, a word gap
        if self._first:
            self._first = False
            await state.sleep(state.latency.tts_ttfb_s)
        else:
            join_s = SECONDS_PER_CHAR
        if self._fault == "malformed":
            await self._socket.send("{not json")
        speech = await synthesize_async(text.strip(), sample_rate=rate)
        pcm = b"\x00\x00" * round(join_s * rate) + speech
        duration_s = len(pcm) / 2 / rate
        words = word_timestamps(text, self._offset_s + join_s, duration_s - join_s)
        chunks = list(iter_chunks(pcm, sample_rate=rate, chunk_s=CHUNK_S))
        for i, chunk in enumerate(chunks):
            if self._fault == "close_mid_stream" and i >= len(chunks) // 2:
                logger.info("tts socket dropped by fault", extra={"context_id": self._context_id})
                await self._socket.drop()
                raise _Dropped
            chunk_end_s = self._offset_s + (i + 1) * CHUNK_S
            await self._socket.send(
                {
                    "type": "chunk",
                    "data": base64.b64encode(chunk).decode(),
                    "done": False,
                    "status_code": 206,
                    "step_time": 1.0,
                    "flush_id": flush_id,
                    "context_id": self._context_id,
                }
            )
            self._record.audio_bytes += len(chunk)
            heard = [w for w in words if w[1] < chunk_end_s or i == len(chunks) - 1]
            if self._timestamps and heard:
                words = words[len(heard) :]
                await self._socket.send(
                    {
                        "type": "timestamps",
                        "done": False,
                        "status_code": 206,
                        "context_id": self._context_id,
                        "flush_id": flush_id,
                        "word_timestamps": {
                            "words": [w[0] for w in heard],
                            "start": [w[1] for w in heard],
                            "end": [w[2] for w in heard],
                        },
                    }
                )
            await state.sleep(state.latency.audio_pace_s(len(chunk) / 2 / rate))
        self._offset_s += duration_s
        self._fault = None
