"""OpenAI audio simulator: `/v1/audio/transcriptions` and `/v1/audio/speech`, the STT/TTS fallbacks.

`openai.STT()` (non-streaming models such as gpt-4o-mini-transcribe) posts one WAV per utterance
as multipart form data; `openai.TTS(response_format="pcm")` posts JSON and reads either raw PCM or,
with `stream_format: "sse"`, `speech.audio.delta` events carrying base64 PCM.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import wave
from typing import Any

from aiohttp import web

from .audio import iter_chunks, speech_duration_s, synthesize_async
from .faults import FaultKind
from .log import logger
from .provider_errors import openai_unauthorized, request_key
from .record import TranscriptionRequest, TtsRequest
from .state import SimState

SPEECH_SAMPLE_RATE = 24000
CHUNK_S = 0.03
PCM_FORMATS = ("pcm", "wav")


class OpenAIAudio:
    """Handlers for `POST /v1/audio/transcriptions` (stage `openai_stt`) and
    `POST /v1/audio/speech` (stage `openai_tts`)."""

    def __init__(self, *, state: SimState) -> None:
        self._state = state

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v1/audio/transcriptions", self.transcriptions),
            web.post("/v1/audio/speech", self.speech),
        ]

    async def transcriptions(self, request: web.Request) -> web.StreamResponse:
        state = self._state
        if not state.behaviour.key_accepted("openai", key := request_key(request, "openai")):
            return openai_unauthorized(key)
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            return _error(400, "invalid_request_error", "file is required")
        try:
            sample_rate, audio_bytes = _wav_info(upload.file.read())
        except (wave.Error, EOFError):
            return _error(400, "invalid_request_error", "file is not a WAV file")
        record = TranscriptionRequest(
            model=str(form.get("model", "")),
            sample_rate=sample_rate,
            audio_bytes=audio_bytes,
        )
        state.received.transcriptions.append(record)

        fault = state.faults.take("openai_stt")
        if fault in ("http_500", "http_429"):
            return _fault_response(fault, state)
        if fault == "stall":
            await state.stall(request)
            return web.Response(status=504)
        if fault == "close_mid_stream":
            _drop(request)
            return web.Response(status=499)
        await state.sleep(state.latency.stt_final_s)
        if fault == "malformed":
            return web.Response(text='{"text": "half', content_type="application/json")

        record.transcript = state.script.next_heard()
        body: dict[str, Any] = {
            "text": record.transcript,
            "usage": {"type": "duration", "seconds": round(record.audio_s, 3)},
        }
        if form.get("response_format") == "verbose_json":
            body |= {"task": "transcribe", "language": "english", "duration": record.audio_s}
        logger.debug("transcription", extra={"chars": len(record.transcript)})
        return web.json_response(body)

    async def speech(self, request: web.Request) -> web.StreamResponse:
        state = self._state
        if not state.behaviour.key_accepted("openai", key := request_key(request, "openai")):
            return openai_unauthorized(key)
        body: dict[str, Any] = await request.json()
        response_format = str(body.get("response_format", "mp3"))
        if response_format not in PCM_FORMATS:
            return _error(
                400, "invalid_request_error", "the simulator only speaks pcm and wav formats"
            )
        record = TtsRequest(
            context_id=state.new_id("speech"),
            sample_rate=SPEECH_SAMPLE_RATE,
            via="speech",
            text=str(body.get("input", "")),
        )
        state.received.tts_requests.append(record)

        fault = state.faults.take("openai_tts")
        if fault in ("http_500", "http_429"):
            return _fault_response(fault, state)
        if fault == "stall":
            await state.stall(request)
            return web.Response(status=504)

        sse = body.get("stream_format") == "sse"
        content_type = "text/event-stream" if sse else f"audio/{response_format}"
        resp = web.StreamResponse(
            headers={"Content-Type": content_type, "x-request-id": record.context_id}
        )
        await resp.prepare(request)
        await state.sleep(state.latency.tts_ttfb_s)
        pcm = await synthesize_async(record.text, sample_rate=SPEECH_SAMPLE_RATE)
        chunks = list(iter_chunks(pcm, sample_rate=SPEECH_SAMPLE_RATE, chunk_s=CHUNK_S))
        if response_format == "wav" and not sse:
            chunks.insert(0, _wav_header(len(pcm)))
        for i, chunk in enumerate(chunks):
            if fault == "close_mid_stream" and i >= max(1, len(chunks) // 2):
                _drop(request)
                return resp
            if fault == "malformed" and i == 0:
                await resp.write(b"data: {not json\n\n" if sse else b"\x00")
            if sse:
                event = {"type": "speech.audio.delta", "audio": base64.b64encode(chunk).decode()}
                await resp.write(f"data: {json.dumps(event)}\n\n".encode())
            else:
                await resp.write(chunk)
            record.audio_bytes += len(chunk)
            await state.sleep(state.latency.audio_pace_s(len(chunk) / 2 / SPEECH_SAMPLE_RATE))
        if sse:
            tokens = max(1, len(record.text) // 4)
            usage = {
                "input_tokens": tokens,
                "output_tokens": round(speech_duration_s(record.text) * 10),
            }
            done = {"type": "speech.audio.done", "usage": usage}
            await resp.write(f"data: {json.dumps(done)}\n\n".encode())
        await resp.write_eof()
        record.done = True
        return resp


def _wav_info(data: bytes) -> tuple[int, int]:
    with wave.open(io.BytesIO(data)) as w:
        return w.getframerate(), w.getnframes() * w.getsampwidth() * w.getnchannels()


def _wav_header(pcm_bytes: int) -> bytes:
    """A 44-byte RIFF header for mono PCM16 at the speech sample rate."""
    rate = SPEECH_SAMPLE_RATE
    return (
        b"RIFF"
        + struct.pack("<I", 36 + pcm_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", pcm_bytes)
    )


def _error(status: int, kind: str, message: str) -> web.Response:
    error = {"message": message, "type": kind, "code": None, "param": None}
    return web.json_response({"error": error}, status=status)


def _fault_response(fault: FaultKind, state: SimState) -> web.Response:
    if fault == "http_429":
        resp = _error(429, "requests", "Rate limit reached (simulated)")
        resp.headers["Retry-After"] = str(state.faults.retry_after_s)
        return resp
    return _error(500, "server_error", "The server had an error (simulated)")


def _drop(request: web.Request) -> None:
    """Cut the TCP connection without finishing the response."""
    if request.transport is not None:
        request.transport.abort()
