"""Roomless I/O for a session: a caller microphone, a loudspeaker and captions, in real time.

The microphone delivers fixed-size frames paced by the wall clock (endpointing and VAD run on
real delays) and says when each spoken turn really ended. The loudspeaker plays the agent's
audio out at real-time speed, so the caller can talk over it and the agent can be interrupted,
and timestamps every frame it is given. Captions receive the agent's text as a room's
transcription output does (synchronised with playout by the framework's synchronizer).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from livekit import rtc
from livekit.agents import io
from livekit.agents.voice.io import AudioOutputCapabilities

from harness.speech import CallerSpeech

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(kw_only=True)
class PlayedSpeech:
    """When a turn's audio went into the microphone, on the harness clock."""

    speech: CallerSpeech
    started_at: float = 0.0
    """The turn's first sample."""
    speech_end_at: float = 0.0
    """The sample where the caller stopped talking."""
    finished_at: float = 0.0
    """The turn's last sample (trailing silence included)."""


@dataclass(kw_only=True)
class _Playing:
    played: PlayedSpeech
    done: asyncio.Future[PlayedSpeech]
    offset: int = 0  # bytes of the turn already delivered


class CallerAudioInput(io.AudioInput):
    """Silence, or the queued turns, in `frame_ms` frames at real-time pace until closed."""

    def __init__(
        self,
        *,
        sample_rate: int,
        frame_ms: int = 20,
        clock: Clock = time.perf_counter,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(label="harness-caller")
        self.sample_rate = sample_rate
        self._clock = clock
        self._sleep = sleep
        self._frame_s = frame_ms / 1000
        self._frame_bytes = sample_rate * frame_ms // 1000 * 2
        self._queue: deque[_Playing] = deque()
        self._started_at: float | None = None
        self._frames = 0
        self._closed = False
        self.late_frames = 0
        """Frames the session asked for over a frame late (a starved event loop)."""

    def configure(self, *, sample_rate: int, frame_ms: int) -> None:
        """Deliver frames of `frame_ms` at `sample_rate` (as a room does for the options the
        agent chose); only before the first frame."""
        if self._started_at is not None:
            raise RuntimeError("the microphone is already delivering frames")
        self.sample_rate = sample_rate
        self._frame_s = frame_ms / 1000
        self._frame_bytes = sample_rate * frame_ms // 1000 * 2

    def play(self, speech: CallerSpeech) -> asyncio.Future[PlayedSpeech]:
        """Queue a turn (resampled to the microphone's rate if needed); the future resolves
        once its last sample has been delivered."""
        speech = speech.at_rate(self.sample_rate)
        done: asyncio.Future[PlayedSpeech] = asyncio.get_running_loop().create_future()
        self._queue.append(_Playing(played=PlayedSpeech(speech=speech), done=done))
        return done

    @property
    def busy(self) -> bool:
        """Whether a turn is playing or queued."""
        return bool(self._queue)

    def close(self) -> None:
        self._closed = True
        for playing in self._queue:
            if not playing.done.done():
                playing.done.cancel()
        self._queue.clear()

    async def __anext__(self) -> rtc.AudioFrame:
        if self._closed:
            raise StopAsyncIteration
        if self._started_at is None:
            self._started_at = self._clock()
        due = self._started_at + (self._frames + 1) * self._frame_s
        delay = due - self._clock()
        if delay > 0:
            await self._sleep(delay)
        elif delay < -self._frame_s:
            self.late_frames += 1
        if self._closed:
            raise StopAsyncIteration
        self._frames += 1
        delivered_at = self._clock()
        data = self._next_chunk(delivered_at)
        return rtc.AudioFrame(data, self.sample_rate, 1, len(data) // 2)

    def _next_chunk(self, delivered_at: float) -> bytes:
        """The frame's bytes; the frame's last sample is heard at `delivered_at`."""
        chunk = b""
        frame_end = delivered_at
        while len(chunk) < self._frame_bytes and self._queue:
            playing = self._queue[0]
            speech, played = playing.played.speech, playing.played
            take = min(self._frame_bytes - len(chunk), len(speech.pcm) - playing.offset)
            start = playing.offset
            pos_in_frame = len(chunk)
            chunk += speech.pcm[start : start + take]
            playing.offset += take

            def at(byte_in_frame: int) -> float:
                return frame_end - (self._frame_bytes - byte_in_frame) / 2 / self.sample_rate

            if start == 0:
                played.started_at = at(pos_in_frame)
            end_byte = speech.speech_end * 2
            if start < end_byte <= start + take:
                played.speech_end_at = at(pos_in_frame + end_byte - start)
            if playing.offset >= len(speech.pcm):
                played.finished_at = at(len(chunk))
                self._queue.popleft()
                if not playing.done.done():
                    playing.done.set_result(played)
        return chunk.ljust(self._frame_bytes, b"\x00")


@dataclass(kw_only=True)
class AgentSegment:
    """One stretch of agent audio (between flushes), as captured and as played."""

    started_at: float
    """When its first frame was captured, which is when it starts playing."""
    sample_rate: int = 0
    frames: list[tuple[float, bytes]] = field(default_factory=list)
    """(capture time, PCM16) of every frame that will play."""
    pushed_s: float = 0.0
    played_s: float = 0.0
    interrupted: bool = False
    cleared_at: float | None = None
    finished_at: float | None = None

    @property
    def pcm(self) -> bytes:
        return b"".join(data for _, data in self.frames)


class PlayoutAudioOutput(io.AudioOutput):
    """Plays each segment from its first frame at `speed` times real time; records everything.

    `clear_buffer()` stops playback at once (the caller barged in); the segment then reports
    how much was actually heard.
    """

    def __init__(self, *, speed: float = 1.0, clock: Clock = time.perf_counter) -> None:
        super().__init__(label="harness-speaker", capabilities=AudioOutputCapabilities(pause=False))
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._speed = speed
        self._clock = clock
        self.segments: list[AgentSegment] = []
        self._current: AgentSegment | None = None
        self._interrupt = asyncio.Event()
        self._finish_task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def playing(self) -> bool:
        return not self._idle.is_set()

    async def wait_idle(self) -> None:
        await self._idle.wait()

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        if self._finish_task is not None and not self._finish_task.done():
            await asyncio.shield(self._finish_task)  # the previous segment is still playing
        await super().capture_frame(frame)
        segment = self._current
        if segment is None:
            segment = AgentSegment(started_at=self._clock(), sample_rate=frame.sample_rate)
            self._current = segment
            self.segments.append(segment)
            self._interrupt.clear()
            self._idle.clear()
            self.on_playback_started(created_at=time.time())
        if segment.cleared_at is None:
            segment.frames.append((self._clock(), bytes(frame.data)))
            segment.pushed_s += frame.duration

    def flush(self) -> None:
        super().flush()
        segment = self._current
        if segment is None or (self._finish_task is not None and not self._finish_task.done()):
            return
        self._finish_task = asyncio.get_running_loop().create_task(
            self._finish(segment), name="harness-playout"
        )

    def clear_buffer(self) -> None:
        segment = self._current
        if segment is None or segment.cleared_at is not None:
            return
        segment.cleared_at = self._clock()
        self._interrupt.set()

    async def _finish(self, segment: AgentSegment) -> None:
        end = segment.started_at + segment.pushed_s / self._speed
        if segment.cleared_at is None:
            remaining = end - self._clock()
            if remaining > 0:
                try:
                    await asyncio.wait_for(self._interrupt.wait(), remaining)
                except TimeoutError:
                    pass
        stopped = segment.cleared_at
        if stopped is not None and stopped < end:
            segment.interrupted = True
            segment.played_s = max(0.0, (stopped - segment.started_at) * self._speed)
            segment.played_s = min(segment.played_s, segment.pushed_s)
        else:
            segment.played_s = segment.pushed_s
        segment.finished_at = self._clock()
        self._current = None
        self._idle.set()
        self.on_playback_finished(
            playback_position=segment.played_s, interrupted=segment.interrupted
        )

    async def aclose(self) -> None:
        """Stop the playout timer (owned task) without reporting."""
        task, self._finish_task = self._finish_task, None
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass


class CaptionOutput(io.TextOutput):
    """The agent's text as a caller's screen would get it; one entry per flushed segment."""

    def __init__(self, *, clock: Clock = time.perf_counter) -> None:
        super().__init__(label="harness-captions", next_in_chain=None)
        self._clock = clock
        self._parts: list[str] = []
        self.segments: list[tuple[float, str]] = []
        """(flush time, text) of each finished caption."""

    async def capture_text(self, text: str) -> None:
        self._parts.append(text)

    def flush(self) -> None:
        if self._parts:
            self.segments.append((self._clock(), "".join(self._parts)))
            self._parts.clear()
