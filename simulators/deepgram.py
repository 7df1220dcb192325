"""Deepgram live STT simulator: segments received PCM16 by energy, transcribes from the script."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
from aiohttp import web

from .audio import SegmentEvent, SpeechSegmenter
from .faults import HANDSHAKE_FAULTS, STREAM_FAULTS, FaultKind
from .log import logger
from .record import SttStream
from .state import SimState, TaskGroup

INTERIM_EVERY_S = 0.3
WORD_EVERY_S = 0.3
CONFIDENCE = 0.98
MODEL_INFO = {"name": "general-nova-3", "version": "2025-01-01.0", "arch": "nova-3"}


def _words(transcript: str, start_s: float, end_s: float) -> list[dict[str, Any]]:
    tokens = transcript.split()
    step = (end_s - start_s) / len(tokens) if tokens else 0.0
    return [
        {
            "word": tok.strip(".,!?;:").lower() or tok,
            "punctuated_word": tok,
            "start": round(start_s + i * step, 3),
            "end": round(start_s + (i + 1) * step, 3),
            "confidence": CONFIDENCE,
        }
        for i, tok in enumerate(tokens)
    ]


class _Segment:
    def __init__(self, *, start_s: float, transcript: str, fault: FaultKind | None) -> None:
        self.start_s = start_s
        self.transcript = transcript
        self.fault = fault
        self.interims_sent = 0


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
        ws = web.WebSocketResponse(heartbeat=None)
        ws.headers["dg-request-id"] = request_id
        await ws.prepare(request)
        state.websockets.add(ws)
        try:
            await _LiveStream(state=state, ws=ws, request=request, request_id=request_id).run()
        finally:
            state.websockets.discard(ws)
        return ws


class _LiveStream:
    """One live transcription connection."""

    def __init__(
        self,
        *,
        state: SimState,
        ws: web.WebSocketResponse,
        request: web.Request,
        request_id: str,
    ) -> None:
        query = dict(request.query)
        self._state = state
        self._ws = ws
        self._request_id = request_id
        self._interim = query.get("interim_results", "false") == "true"
        self._vad_events = query.get("vad_events", "false") == "true"
        sample_rate = int(query.get("sample_rate", "16000"))
        self._channels = int(query.get("channels", "1"))
        self._record = SttStream(query=query, sample_rate=sample_rate)
        state.received.stt_streams.append(self._record)
        self._segmenter = SpeechSegmenter(sample_rate=sample_rate, config=state.segmenter)
        self._segment: _Segment | None = None
        self._finals = TaskGroup()
        self._send_lock = asyncio.Lock()
        self._created = time.time()

    async def _send(self, payload: dict[str, Any] | str) -> None:
        async with self._send_lock:
            if self._ws.closed:
                return
            data = payload if isinstance(payload, str) else json.dumps(payload)
            await self._ws.send_str(data)

    async def run(self) -> None:
        try:
            async for msg in self._ws:
                if msg.type == aiohttp.WSMsgType.BINARY:
                    if not await self._on_audio(msg.data):
                        return
                elif msg.type == aiohttp.WSMsgType.TEXT:
                    kind = str(json.loads(msg.data).get("type", ""))
                    self._record.control.append(kind)
                    if kind == "Finalize":
                        self._finalize(from_finalize=True)
                    elif kind == "CloseStream":
                        self._finalize(from_finalize=True)
                        await self._finals.join()
                        await self._send(self._metadata())
                        await self._ws.close()
                        return
        finally:
            await self._finals.aclose()

    async def _on_audio(self, data: bytes) -> bool:
        self._record.audio_bytes += len(data)
        for event in self._segmenter.feed(data):
            if event.kind == "start":
                if not await self._on_start(event):
                    return False
            else:
                self._on_end(event, from_finalize=False)
        segment = self._segment
        if segment is not None and self._interim and segment.fault is None:
            elapsed = self._segmenter.position_s - segment.start_s
            if elapsed >= (segment.interims_sent + 1) * INTERIM_EVERY_S:
                segment.interims_sent += 1
                words = segment.transcript.split()
                shown = words[: min(len(words), 1 + int(elapsed / WORD_EVERY_S))]
                if shown:
                    await self._send(
                        self._results(
                            " ".join(shown),
                            segment.start_s,
                            self._segmenter.position_s,
                            final=False,
                        )
                    )
        return True

    async def _on_start(self, event: SegmentEvent) -> bool:
        fault = self._state.faults.take("stt", STREAM_FAULTS)
        self._segment = _Segment(
            start_s=event.start_s, transcript=self._state.script.next_heard(), fault=fault
        )
        if self._vad_events:
            await self._send(
                {"type": "SpeechStarted", "channel": [0], "timestamp": round(event.start_s, 3)}
            )
        if fault == "close_mid_stream":
            words = self._segment.transcript.split()
            await self._send(
                self._results(
                    " ".join(words[: max(1, len(words) // 2)]),
                    event.start_s,
                    self._segmenter.position_s,
                    final=False,
                )
            )
            logger.info("stt stream dropped by fault", extra={"request_id": self._request_id})
            await self._ws.close(code=aiohttp.WSCloseCode.INTERNAL_ERROR)
            return False
        if fault == "malformed":
            await self._send("{not json")
            await self._send(
                {
                    "type": "Results",
                    "is_final": False,
                    "speech_final": False,
                    "metadata": {"request_id": self._request_id},
                }
            )
        return True

    def _finalize(self, *, from_finalize: bool) -> None:
        event = self._segmenter.finalize()
        if event is not None:
            self._on_end(event, from_finalize=from_finalize)

    def _on_end(self, event: SegmentEvent, *, from_finalize: bool) -> None:
        segment, self._segment = self._segment, None
        if segment is None or segment.fault == "malformed":
            return
        self._finals.spawn(
            self._send_final(segment, event.end_s, from_finalize), name="deepgram-final"
        )

    async def _send_final(self, segment: _Segment, end_s: float, from_finalize: bool) -> None:
        await self._state.sleep(self._state.latency.stt_final_s)
        self._record.transcripts.append(segment.transcript)
        payload = self._results(segment.transcript, segment.start_s, end_s, final=True)
        payload["from_finalize"] = from_finalize
        await self._send(payload)

    def _results(
        self, transcript: str, start_s: float, end_s: float, *, final: bool
    ) -> dict[str, Any]:
        alternative = {
            "transcript": transcript,
            "confidence": CONFIDENCE if transcript else 0.0,
            "words": _words(transcript, start_s, end_s),
        }
        return {
            "type": "Results",
            "channel_index": [0, 1],
            "duration": round(end_s - start_s, 3),
            "start": round(start_s, 3),
            "is_final": final,
            "speech_final": final,
            "from_finalize": False,
            "channel": {"alternatives": [alternative]},
            "metadata": {
                "request_id": self._request_id,
                "model_info": MODEL_INFO,
                "model_uuid": "00000000-0000-0000-0000-000000000003",
            },
        }

    def _metadata(self) -> dict[str, Any]:
        return {
            "type": "Metadata",
            "transaction_key": "deprecated",
            "request_id": self._request_id,
            "sha256": "0" * 64,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(self._created)),
            "duration": round(self._record.audio_s, 3),
            "channels": self._channels,
            "models": [MODEL_INFO["name"]],
            "model_info": {MODEL_INFO["name"]: MODEL_INFO},
        }
