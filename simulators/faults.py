"""Fault injection per simulated provider stage, with counts of the faults that fired.

Where each kind fires:
- `http_500` / `http_429`: the next HTTP request (llm, /tts/bytes) or WebSocket handshake
  (realtime, stt, tts websocket). A pooled TTS socket is only hit on its next handshake.
- `stall`: llm and /tts/bytes accept the request and never answer; stt and realtime never
  complete the WebSocket handshake; the tts websocket accepts the next context and never
  answers it. Each waits until the client gives up (or the simulator closes).
- `close_mid_stream`: send part of the next answer (SSE, transcript, audio), then drop the
  connection.
- `malformed`: the next answer carries a non-JSON frame (and, for stt, a `Results` message
  missing its `channel`).

Provider-specific kinds (`PROVIDER_FAULTS` says which stage takes which), each shaped like the
real service's message:
- realtime: `response_failed` (`response.done` status failed, a server error),
  `rate_limited` (status failed, `inference_rate_limit_exceeded`, after `rate_limits.updated`
  shows none left), `response_incomplete` (status incomplete, `max_output_tokens`, the text cut
  short), `server_error_event` (an `error` event of type `server_error`, then the response
  fails), `invalid_request` (the next client `response.create` is refused with an
  `invalid_request_error` naming its event id), `response_ignored` (the next client
  `response.create` gets no answer at all: no `response.created`, no error),
  `transcription_failed` (the caller's transcription `.failed`), `session_expired`
  (`error` `session_expired`, then close 1001).
- llm: `error_mid_stream` (an SSE `error` object after part of the answer), `length` and
  `content_filter` (the answer cut short with that `finish_reason`), `refusal` (refusal deltas,
  no content), `context_length` (400 `context_length_exceeded`, as for an over-long request).
- stt: `noise` (a `SpeechStarted` on the next audio, and no words after it).
- tts: `context_error` (the next context gets an `error` message with `status_code` 500 and
  `done: true`, and no audio).

Stages `stt` and `tts` are Deepgram and Cartesia; `openai_stt` and `openai_tts` are the OpenAI
`/v1/audio/transcriptions` and `/v1/audio/speech` routes (the STT and TTS fallbacks), so one
simulator can fail a primary while its fallback keeps answering.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal, get_args

Stage = Literal["llm", "realtime", "stt", "tts", "openai_stt", "openai_tts"]
FaultKind = Literal[
    "http_500",
    "http_429",
    "close_mid_stream",
    "stall",
    "malformed",
    "response_failed",
    "rate_limited",
    "response_incomplete",
    "server_error_event",
    "invalid_request",
    "response_ignored",
    "transcription_failed",
    "session_expired",
    "error_mid_stream",
    "length",
    "content_filter",
    "refusal",
    "context_length",
    "noise",
    "context_error",
]

STAGES: tuple[Stage, ...] = get_args(Stage)
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)
GENERIC_FAULTS: frozenset[FaultKind] = frozenset(
    {"http_500", "http_429", "close_mid_stream", "stall", "malformed"}
)
PROVIDER_FAULTS: dict[Stage, frozenset[FaultKind]] = {
    "realtime": frozenset(
        {
            "response_failed",
            "rate_limited",
            "response_incomplete",
            "server_error_event",
            "invalid_request",
            "response_ignored",
            "transcription_failed",
            "session_expired",
        }
    ),
    "llm": frozenset({"error_mid_stream", "length", "content_filter", "refusal", "context_length"}),
    "stt": frozenset({"noise"}),
    "tts": frozenset({"context_error"}),
    "openai_stt": frozenset(),
    "openai_tts": frozenset(),
}
RESPONSE_FAULTS: frozenset[FaultKind] = frozenset(
    {"response_failed", "rate_limited", "response_incomplete", "server_error_event"}
)
"""Realtime faults that change how one response ends."""
HANDSHAKE_FAULTS: frozenset[FaultKind] = frozenset({"http_500", "http_429"})
STREAM_FAULTS: frozenset[FaultKind] = frozenset({"close_mid_stream", "malformed"})


@dataclass(kw_only=True)
class _Armed:
    kind: FaultKind
    remaining: int


class Faults:
    """Armed faults per stage (first in, first fired) and how often each kind fired."""

    def __init__(self, *, retry_after_s: int = 1) -> None:
        self.retry_after_s = retry_after_s
        self._armed: dict[Stage, list[_Armed]] = {stage: [] for stage in STAGES}
        self._fired: Counter[tuple[Stage, FaultKind]] = Counter()
        self._lock = threading.Lock()

    def inject(self, stage: Stage, kind: FaultKind, times: int = 1) -> None:
        """Arm `kind` for the next `times` opportunities of `stage`."""
        if stage not in STAGES or kind not in GENERIC_FAULTS | PROVIDER_FAULTS[stage]:
            raise ValueError(f"unknown fault {stage!r}/{kind!r}")
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._armed[stage].append(_Armed(kind=kind, remaining=times))

    def take(
        self, stage: Stage, allowed: Collection[FaultKind] = GENERIC_FAULTS
    ) -> FaultKind | None:
        """Consume the first armed fault of `stage` whose kind is in `allowed`."""
        with self._lock:
            for armed in self._armed[stage]:
                if armed.kind in allowed:
                    armed.remaining -= 1
                    if armed.remaining == 0:
                        self._armed[stage].remove(armed)
                    self._fired[(stage, armed.kind)] += 1
                    return armed.kind
        return None

    def fired(self, stage: Stage | None = None, kind: FaultKind | None = None) -> int:
        """How many faults fired, optionally filtered by stage and kind."""
        with self._lock:
            return sum(
                n
                for (s, k), n in self._fired.items()
                if (stage is None or s == stage) and (kind is None or k == kind)
            )

    def pending(self, stage: Stage | None = None) -> int:
        """How many armed fault firings are still waiting."""
        with self._lock:
            stages = STAGES if stage is None else (stage,)
            return sum(a.remaining for s in stages for a in self._armed[s])

    def clear(self) -> None:
        """Disarm everything and reset the counters."""
        with self._lock:
            for armed in self._armed.values():
                armed.clear()
            self._fired.clear()
