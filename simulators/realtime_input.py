"""Input audio buffer of one Realtime session: server VAD, commits and user transcripts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, Literal

from .audio import SpeechSegmenter
from .realtime_items import ItemStore
from .record import RealtimeSession
from .state import SimState, TaskGroup

SAMPLE_RATE = 24000
MIN_COMMIT_BYTES = SAMPLE_RATE * 2 // 10  # OpenAI rejects commits under 100 ms

Turn = Literal["speech_started", "speech_stopped"]
TRANSCRIPTION_FAILED = {
    "type": "transcription_error",
    "code": "audio_unintelligible",
    "message": "Audio could not be transcribed.",
    "param": None,
}


class InputAudio:
    """Buffers appended PCM16 (24 kHz); with server VAD, detects turns and commits them."""

    def __init__(
        self,
        *,
        state: SimState,
        send: Callable[[dict[str, Any]], Awaitable[None]],
        items: ItemStore,
        record: RealtimeSession,
        tasks: TaskGroup,
    ) -> None:
        self._state = state
        self._send = send
        self._items = items
        self._record = record
        self._tasks = tasks
        self._buffer = bytearray()
        self._segmenter = SpeechSegmenter(sample_rate=SAMPLE_RATE, config=state.segmenter)
        self._speech_item_id: str | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self.committed_s = 0.0
        self.transcribe = True

    def configure(self, turn_detection: dict[str, Any] | None) -> None:
        """Follow `silence_duration_ms` of a server_vad turn detection."""
        if turn_detection and (silence_ms := turn_detection.get("silence_duration_ms")):
            self._segmenter.config = replace(self._segmenter.config, end_silence_s=silence_ms / 1e3)

    @property
    def has_commit(self) -> bool:
        """Whether the buffer holds enough audio (100 ms) to commit."""
        return len(self._buffer) >= MIN_COMMIT_BYTES

    async def append(self, pcm: bytes, *, server_vad: bool) -> list[Turn]:
        """Buffer audio; with server VAD, send speech events and commit finished turns."""
        self._record.audio_bytes += len(pcm)
        self._buffer.extend(pcm)
        if not server_vad:
            return []
        turns: list[Turn] = []
        for event in self._segmenter.feed(pcm):
            if event.kind == "start":
                self._speech_item_id = self._state.new_id("item")
                await self._send(
                    {
                        "type": "input_audio_buffer.speech_started",
                        "audio_start_ms": int(event.start_s * 1000),
                        "item_id": self._speech_item_id,
                    }
                )
                turns.append("speech_started")
            else:
                item_id = self._speech_item_id or self._state.new_id("item")
                self._speech_item_id = None
                await self._send(
                    {
                        "type": "input_audio_buffer.speech_stopped",
                        "audio_end_ms": int(event.end_s * 1000),
                        "item_id": item_id,
                    }
                )
                await self.commit(item_id, self._state.script.next_heard())
                turns.append("speech_stopped")
        return turns

    async def commit_buffer(self) -> None:
        """Client commit: the buffer is one turn, transcribed only if it holds speech."""
        probe = SpeechSegmenter(sample_rate=SAMPLE_RATE, config=self._segmenter.config)
        heard = any(ev.kind == "start" for ev in probe.feed(bytes(self._buffer)))
        transcript = self._state.script.next_heard() if heard else ""
        await self.commit(self._state.new_id("item"), transcript)

    async def clear(self) -> None:
        self._buffer.clear()
        self._segmenter.reset()
        await self._send({"type": "input_audio_buffer.cleared"})

    async def commit(self, item_id: str, transcript: str) -> None:
        self.committed_s += len(self._buffer) / 2 / SAMPLE_RATE
        self._buffer.clear()
        item: dict[str, Any] = {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "role": "user",
            "status": "completed",
            "content": [{"type": "input_audio", "transcript": None}],
        }
        previous = self._items.insert(item)
        self._items.heard[item_id] = transcript
        await self._send(
            {
                "type": "input_audio_buffer.committed",
                "previous_item_id": previous,
                "item_id": item_id,
            }
        )
        await self._send(
            {"type": "conversation.item.added", "previous_item_id": previous, "item": item}
        )
        task = self._tasks.spawn(self._transcribe(item, transcript), name="realtime-transcribe")
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def wait_transcribed(self) -> None:
        """Wait for pending transcripts (without cancelling them if the waiter is cancelled)."""
        if self._pending:
            await asyncio.wait(list(self._pending))

    async def _transcribe(self, item: dict[str, Any], transcript: str) -> None:
        """The transcription model's events, on their own schedule (`realtime_transcript_s`,
        plus `realtime_transcript_late_s`)."""
        state = self._state
        delay = state.latency.realtime_transcript_s + state.latency.realtime_transcript_late_s
        words = transcript.split(" ") if transcript else []
        streamed = self.transcribe and state.behaviour.realtime.transcript_deltas and words
        await state.sleep(delay / 2 if streamed else delay)
        if not self.transcribe:
            item["content"] = [{"type": "input_audio", "transcript": transcript}]
            return
        ids = {"item_id": item["id"], "content_index": 0}
        if state.faults.take("realtime", {"transcription_failed"}) is not None:
            await self._send(
                {
                    "type": "conversation.item.input_audio_transcription.failed",
                    **ids,
                    "error": TRANSCRIPTION_FAILED,
                }
            )
            return
        if streamed:
            for i, word in enumerate(words):
                delta = word if i == 0 else f" {word}"
                await self._send(
                    {
                        "type": "conversation.item.input_audio_transcription.delta",
                        **ids,
                        "delta": delta,
                        "logprobs": None,
                    }
                )
                await state.sleep(delay / 2 / len(words))
        item["content"] = [{"type": "input_audio", "transcript": transcript}]
        self._record.transcripts.append(transcript)
        tokens = max(1, len(transcript) // 4)
        usage = {
            "type": "tokens",
            "input_tokens": tokens,
            "output_tokens": tokens,
            "total_tokens": 2 * tokens,
            "input_token_details": {"audio_tokens": tokens, "text_tokens": 0},
        }
        await self._send(
            {
                "type": "conversation.item.input_audio_transcription.completed",
                **ids,
                "transcript": transcript,
                "logprobs": None,
                "usage": usage,
            }
        )
        await self._send({"type": "conversation.item.done", "item": item})
