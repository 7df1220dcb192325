"""What the simulators received and answered, kept for test assertions."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from .script import Reply


@dataclass(frozen=True, kw_only=True)
class ToolResult:
    """A tool output a client sent back (each call id is recorded once)."""

    call_id: str
    name: str
    output: str
    via: Literal["llm", "realtime"]


@dataclass(kw_only=True)
class SttStream:
    """One Deepgram live connection."""

    query: dict[str, str]
    """The query parameters (the first value of a repeated one; all of them in `params`)."""
    sample_rate: int
    params: list[tuple[str, str]] = field(default_factory=list)
    audio_bytes: int = 0
    control: list[str] = field(default_factory=list)
    """Types of the JSON control messages received (KeepAlive, Finalize, CloseStream)."""
    transcripts: list[str] = field(default_factory=list)
    """Final transcripts sent, one per speech segment."""

    @property
    def audio_s(self) -> float:
        return self.audio_bytes / 2 / self.sample_rate


@dataclass(kw_only=True)
class TranscriptionRequest:
    """One OpenAI `/v1/audio/transcriptions` request (one utterance)."""

    model: str
    sample_rate: int
    audio_bytes: int
    transcript: str = ""

    @property
    def audio_s(self) -> float:
        return self.audio_bytes / 2 / self.sample_rate if self.sample_rate else 0.0


@dataclass(kw_only=True)
class TtsRequest:
    """One TTS context (Cartesia websocket), /tts/bytes or OpenAI /v1/audio/speech request."""

    context_id: str
    sample_rate: int
    via: Literal["websocket", "bytes", "speech"]
    text: str = ""
    audio_bytes: int = 0
    done: bool = False
    cancelled: bool = False
    model: str = ""
    voice: str = ""

    @property
    def audio_s(self) -> float:
        return self.audio_bytes / 2 / self.sample_rate


@dataclass(kw_only=True)
class RealtimeSession:
    """One Realtime WebSocket connection."""

    query: dict[str, str]
    events: list[dict[str, Any]] = field(default_factory=list)
    """Client events in arrival order; `input_audio_buffer.append` keeps only its byte count."""
    audio_bytes: int = 0
    session: dict[str, Any] = field(default_factory=dict)
    """The session configuration after every `session.update` was applied."""
    transcripts: list[str] = field(default_factory=list)
    """User transcripts sent (input_audio_transcription.completed)."""
    server_events: list[dict[str, Any]] = field(default_factory=list)
    """Server events in sending order; audio deltas keep only their type."""

    def event_types(self) -> list[str]:
        return [str(ev.get("type")) for ev in self.events]

    def server_event_types(self) -> list[str]:
        return [str(ev.get("type")) for ev in self.server_events]


class Received:
    """Everything the simulators saw; lists are append-only while serving."""

    def __init__(self) -> None:
        self.llm_requests: list[dict[str, Any]] = []
        self.replies: list[Reply] = []
        self.tool_results: list[ToolResult] = []
        self.stt_streams: list[SttStream] = []
        self.transcriptions: list[TranscriptionRequest] = []
        self.tts_requests: list[TtsRequest] = []
        self.realtime_sessions: list[RealtimeSession] = []
        self._seen_call_ids: set[str] = set()
        self._lock = threading.Lock()

    def add_tool_result(self, result: ToolResult) -> None:
        with self._lock:
            if result.call_id not in self._seen_call_ids:
                self._seen_call_ids.add(result.call_id)
                self.tool_results.append(result)

    @property
    def tts_texts(self) -> list[str]:
        """Text of each TTS request, in arrival order."""
        return [req.text for req in self.tts_requests]

    @property
    def stt_audio_bytes(self) -> int:
        return sum(stream.audio_bytes for stream in self.stt_streams)

    def clear(self) -> None:
        with self._lock:
            self.llm_requests.clear()
            self.replies.clear()
            self.tool_results.clear()
            self.stt_streams.clear()
            self.transcriptions.clear()
            self.tts_requests.clear()
            self.realtime_sessions.clear()
            self._seen_call_ids.clear()

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly digest (served by the control endpoint)."""
        return {
            "llm_requests": len(self.llm_requests),
            "replies": [
                {
                    "text": r.text,
                    "tool_calls": [
                        {"name": c.name, "arguments": dict(c.arguments)} for c in r.tool_calls
                    ],
                }
                for r in self.replies
            ],
            "tool_results": [vars(r) for r in self.tool_results],
            "stt_streams": [
                {"audio_s": s.audio_s, "transcripts": s.transcripts, "control": s.control}
                for s in self.stt_streams
            ],
            "transcriptions": [
                {"model": t.model, "audio_s": t.audio_s, "transcript": t.transcript}
                for t in self.transcriptions
            ],
            "tts_requests": [
                {"text": t.text, "audio_s": t.audio_s, "via": t.via, "cancelled": t.cancelled}
                for t in self.tts_requests
            ],
            "realtime_sessions": [
                {
                    "events": s.event_types(),
                    "audio_bytes": s.audio_bytes,
                    "transcripts": s.transcripts,
                }
                for s in self.realtime_sessions
            ],
        }
