"""One Deepgram live connection: how the real service cuts a caller's speech into results.

- An utterance (speech until `max(segmenter end silence, endpointing)` of silence) takes the next
  `Script.hears` text. Its words come out at the pace of its speech (pauses not counted), never
  past the end of the sentence being said (each pause the caller resumes from ends one
  sentence): interims every 0.3 s, then (with
  `Behaviour.deepgram.finals_in_pieces`) `is_final` pieces, after every `FINAL_EVERY_S` of
  speech and at pauses (sent when speech resumes); only
  the utterance's last piece, and a piece ended by a pause at least `endpointing` long, have
  `speech_final` (none when the client turned endpointing off). `UtteranceEnd` follows when
  `utterance_end_ms` was asked for.
- `Finalize` answers after `stt_final_s` with the words said so far; results always go out in
  the order they were heard, so what the caller says next never overtakes that answer.
- Silence gets an empty `is_final` result every `SILENCE_FINAL_EVERY_S`.
- No audio and no KeepAlive for `idle_timeout_s`: `Metadata`, then close 1011 (NET-0001).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from typing import Any

import aiohttp
from aiohttp import web

from .audio import SegmentEvent, SpeechSegmenter, speech_duration_s
from .deepgram_results import metadata, results
from .faults import STREAM_FAULTS
from .log import logger
from .record import SttStream
from .state import SimState, TaskGroup

INTERIM_EVERY_S = 0.3
FINAL_EVERY_S = 1.5
SILENCE_FINAL_EVERY_S = 3.0
IDLE_CLOSE_CODE = 1011
IDLE_CLOSE_REASON = (
    b"Deepgram did not receive audio data or a text message within the timeout window. "
    b"See https://dpgr.am/net0001"
)


class _Utterance:
    def __init__(self, *, start_s: float, transcript: str, fault: str | None) -> None:
        self.start_s = start_s
        self.words = transcript.split()
        self.transcript = transcript
        self.fault = fault
        self.piece_start_s = start_s
        self.sent = 0  # words already in an is_final result
        self.interims = 0
        self.pause_at_s: float | None = None
        self.resumed = 0  # pauses inside the utterance after which speech went on
        self.expected_s = speech_duration_s(transcript) if transcript else 0.5
        self._sentence_ends = [i + 1 for i, word in enumerate(self.words) if word[-1] in ".?!"]

    def sentences_said(self) -> int:
        """Words up to the end of the sentence being said: the simulator does no recognition,
        so each pause after which speech resumed ends one sentence of the text (a caller
        pauses between sentences; espeak-ng leaves 0.31 s)."""
        ends = self._sentence_ends
        return ends[self.resumed] if self.resumed < len(ends) else len(self.words)

    def said_so_far(self) -> int:
        """Words said by a caller who is silent now."""
        return max(self.sent, self.sentences_said())

    def due(self, speech_s: float) -> int:
        """Words said after `speech_s` of speech (pauses not counted), at the pace the text's
        audio is expected to take, keeping the last word for the final piece."""
        spoken = round(len(self.words) * speech_s / self.expected_s)
        return max(self.sent, min(len(self.words) - 1, self.sentences_said(), spoken))


class LiveStream:
    """Reads audio and control messages, writes results, until the client or the idle timer ends
    the connection."""

    def __init__(
        self,
        *,
        state: SimState,
        ws: web.WebSocketResponse,
        params: list[tuple[str, str]],
        request_id: str,
    ) -> None:
        query = dict(reversed(params))  # a repeated parameter: its first value
        self._state = state
        self._ws = ws
        self._request_id = request_id
        self._interim = query.get("interim_results", "false") == "true"
        self._vad_events = query.get("vad_events", "false") == "true"
        endpointing = query.get("endpointing", "10")
        self._endpointing_s = None if endpointing == "false" else int(endpointing) / 1000
        utterance_end = query.get("utterance_end_ms")
        self._utterance_end_s = int(utterance_end) / 1000 if utterance_end else None
        sample_rate = int(query.get("sample_rate", "16000"))
        self._channels = int(query.get("channels", "1"))
        self._record = SttStream(query=query, sample_rate=sample_rate, params=params)
        state.received.stt_streams.append(self._record)
        end_silence = max(state.segmenter.end_silence_s, self._endpointing_s or 0.0)
        self._segmenter = SpeechSegmenter(
            sample_rate=sample_rate, config=replace(state.segmenter, end_silence_s=end_silence)
        )
        pause_s = max(state.behaviour.deepgram.pause_split_s, self._endpointing_s or 0.0)
        self._pauses = SpeechSegmenter(
            sample_rate=sample_rate,
            config=replace(state.segmenter, end_silence_s=pause_s, min_speech_s=0.06),
        )
        self._utterance: _Utterance | None = None
        self._spoken: list[tuple[float, float]] = []  # stretches of speech between pauses
        self._speaking_from_s: float | None = None
        self._silence_from_s = 0.0
        self._last_result: asyncio.Task[None] | None = None
        self._finals = TaskGroup()
        self._watch = TaskGroup()
        self._send_lock = asyncio.Lock()
        self._created = time.time()
        self._last_input = time.monotonic()

    async def _send(self, payload: dict[str, Any] | str) -> None:
        async with self._send_lock:
            if not self._ws.closed:
                data = payload if isinstance(payload, str) else json.dumps(payload)
                await self._ws.send_str(data)

    async def run(self) -> None:
        self._watch.spawn(self._close_when_idle(), name="deepgram-idle")
        try:
            async for msg in self._ws:
                self._last_input = time.monotonic()
                if msg.type == aiohttp.WSMsgType.BINARY:
                    if not await self._on_audio(msg.data):
                        return
                elif msg.type == aiohttp.WSMsgType.TEXT:
                    kind = str(json.loads(msg.data).get("type", ""))
                    self._record.control.append(kind)
                    if kind == "Finalize":
                        await self._finalize()
                    elif kind == "CloseStream":
                        await self._finish(self._segmenter.finalize(), from_finalize=True)
                        await self._finals.join()
                        await self._send(self._metadata())
                        await self._ws.close()
                        return
        finally:
            await self._finals.aclose()
            await self._watch.aclose()

    async def _close_when_idle(self) -> None:
        timeout = self._state.behaviour.deepgram.idle_timeout_s
        while not self._ws.closed:
            idle = time.monotonic() - self._last_input
            if idle >= timeout:
                logger.info("stt socket idle, closing", extra={"request_id": self._request_id})
                self._record.control.append("<idle timeout>")
                await self._send(self._metadata())
                await self._ws.close(code=IDLE_CLOSE_CODE, message=IDLE_CLOSE_REASON)
                return
            await asyncio.sleep(min(0.25, timeout - idle))

    async def _on_audio(self, data: bytes) -> bool:
        self._record.audio_bytes += len(data)
        if self._state.faults.take("stt", {"noise"}) is not None:
            await self._speech_started(self._segmenter.position_s)
        pauses = self._pauses.feed(data)
        for pause in pauses:
            if pause.kind == "start":
                self._speaking_from_s = pause.start_s
            else:
                self._spoken.append((pause.start_s, pause.end_s))
                self._speaking_from_s = None
        for event in self._segmenter.feed(data):
            if event.kind == "start":
                if not await self._start(event):
                    return False
            else:
                await self._finish(event, from_finalize=False)
        now_s = self._segmenter.position_s
        utterance = self._utterance
        if utterance is None:
            while now_s - self._silence_from_s >= SILENCE_FINAL_EVERY_S:
                start_s = self._silence_from_s
                self._silence_from_s += SILENCE_FINAL_EVERY_S
                await self._result(self._results("", start_s, self._silence_from_s))
            return True
        if utterance.fault is not None:
            return True
        utterance.resumed += sum(
            1 for p in pauses if p.kind == "start" and p.start_s > utterance.start_s
        )
        pieces = self._state.behaviour.deepgram.finals_in_pieces
        for pause in pauses if pieces else []:  # a pause inside it ends a piece once speech resumes
            if pause.kind == "end" and pause.end_s > utterance.start_s:
                utterance.pause_at_s = pause.end_s
            elif pause.kind == "start" and utterance.pause_at_s is not None:
                pause_at_s, utterance.pause_at_s = utterance.pause_at_s, None
                await self._piece(utterance, pause_at_s, speech_final=True)
        if pieces and now_s - utterance.piece_start_s >= FINAL_EVERY_S:
            await self._piece(utterance, now_s, speech_final=False)
        elif (
            self._interim
            and now_s - utterance.piece_start_s >= (utterance.interims + 1) * INTERIM_EVERY_S
        ):
            utterance.interims += 1
            saying = utterance.due(self._speech_s(utterance, now_s)) + 1
            words = utterance.words[utterance.sent : min(saying, utterance.sentences_said())]
            if words:
                text = " ".join(words)
                await self._result(self._results(text, utterance.piece_start_s, now_s, final=False))
        return True

    async def _speech_started(self, at_s: float) -> None:
        if self._vad_events:
            await self._send({"type": "SpeechStarted", "channel": [0], "timestamp": round(at_s, 3)})

    async def _start(self, event: SegmentEvent) -> bool:
        fault = self._state.faults.take("stt", STREAM_FAULTS)
        transcript = self._state.script.next_heard()
        utterance = _Utterance(start_s=event.start_s, transcript=transcript, fault=fault)
        self._utterance = utterance
        self._spoken = [(start, end) for start, end in self._spoken if end > event.start_s]
        await self._speech_started(event.start_s)
        if fault == "close_mid_stream":
            words = utterance.words[: max(1, len(utterance.words) // 2)]
            now_s = self._segmenter.position_s
            await self._send(self._results(" ".join(words), event.start_s, now_s, final=False))
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

    async def _piece(self, utterance: _Utterance, end_s: float, *, speech_final: bool) -> None:
        """An is_final result for the words spoken since the last one (none: no result)."""
        upto = utterance.due(self._speech_s(utterance, end_s))
        if upto <= utterance.sent:
            return
        text = " ".join(utterance.words[utterance.sent : upto])
        start_s, utterance.piece_start_s = utterance.piece_start_s, end_s
        utterance.sent, utterance.interims = upto, 0
        speech_final = speech_final and self._endpointing_s is not None
        await self._result(self._results(text, start_s, end_s, speech_final=speech_final))

    def _speech_s(self, utterance: _Utterance, until_s: float) -> float:
        """Seconds of speech in the utterance up to `until_s`, its pauses left out."""
        spans = list(self._spoken)
        if self._speaking_from_s is not None:
            spans.append((self._speaking_from_s, self._pauses.last_voiced_s))
        return sum(
            max(0.0, min(end, until_s) - max(start, utterance.start_s)) for start, end in spans
        )

    async def _result(self, payload: dict[str, Any], *, delay_s: float = 0.0) -> None:
        """Send a `Results` message after `delay_s`, never before one queued earlier: Deepgram
        answers in the order it hears, so a Finalize's answer comes before what was said next."""
        previous = self._last_result
        if delay_s <= 0 and (previous is None or previous.done()):
            await self._send(payload)
            return
        self._last_result = self._finals.spawn(
            self._result_in_order(payload, delay_s, previous), name="deepgram-result"
        )

    async def _result_in_order(
        self, payload: dict[str, Any], delay_s: float, previous: asyncio.Task[None] | None
    ) -> None:
        await self._state.sleep(delay_s)
        if previous is not None and not previous.done():
            await asyncio.wait([previous])
        await self._send(payload)

    async def _finalize(self) -> None:
        """Deepgram finalizes the words heard so far and goes on transcribing what follows.

        A Finalize sent while the caller is silent between two sentences of a scripted text
        gets an `is_final`, `from_finalize` result for the sentences said so far, and the
        utterance stays open for the rest; otherwise the utterance ends here with all its words.
        """
        utterance = self._utterance
        silent = not self._pauses.speaking
        if utterance is None or utterance.fault is not None or not silent:
            await self._finish(self._segmenter.finalize(), from_finalize=True)
            return
        upto = utterance.said_so_far()
        if upto >= len(utterance.words):
            await self._finish(self._segmenter.finalize(), from_finalize=True)
            return
        now_s = self._segmenter.position_s
        text = " ".join(utterance.words[utterance.sent : upto])
        start_s, utterance.piece_start_s = utterance.piece_start_s, now_s
        utterance.sent, utterance.interims = upto, 0
        payload = self._results(text, start_s, now_s, from_finalize=True)
        await self._result(payload, delay_s=self._state.latency.stt_final_s)

    async def _finish(self, event: SegmentEvent | None, *, from_finalize: bool) -> None:
        utterance, self._utterance = self._utterance, None
        if event is None or utterance is None or utterance.fault == "malformed":
            return
        self._silence_from_s = event.end_s
        self._record.transcripts.append(utterance.transcript)
        text = " ".join(utterance.words[utterance.sent :])
        payload = self._results(
            text,
            utterance.piece_start_s,
            event.end_s,
            speech_final=self._endpointing_s is not None,
            from_finalize=from_finalize,
        )
        await self._result(payload, delay_s=self._state.latency.stt_final_s)
        if self._utterance_end_s is not None and self._interim:
            after = self._utterance_end(self._last_result, self._utterance_end_s, event.end_s)
            self._finals.spawn(after, name="deepgram-utterance-end")

    async def _utterance_end(
        self, final: asyncio.Task[None] | None, wait_s: float, last_word_end_s: float
    ) -> None:
        """`UtteranceEnd` once `wait_s` has passed since the last word, after its final."""
        if final is not None and not final.done():
            await asyncio.wait([final])
        waited = self._segmenter.position_s - last_word_end_s
        await self._state.sleep(wait_s - waited)
        await self._send(
            {
                "type": "UtteranceEnd",
                "channel": [0, self._channels],
                "last_word_end": round(last_word_end_s, 3),
            }
        )

    def _results(
        self,
        transcript: str,
        start_s: float,
        end_s: float,
        *,
        final: bool = True,
        speech_final: bool = False,
        from_finalize: bool = False,
    ) -> dict[str, Any]:
        return results(
            transcript,
            start_s,
            end_s,
            request_id=self._request_id,
            is_final=final,
            speech_final=speech_final,
            from_finalize=from_finalize,
        )

    def _metadata(self) -> dict[str, Any]:
        return metadata(
            request_id=self._request_id,
            created=self._created,
            duration_s=self._record.audio_s,
            channels=self._channels,
        )
