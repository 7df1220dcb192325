"""Deepgram's Finalize at a short pause, while the caller's turn stays open.

The VAD ends the caller's speech after `vad.min_silence_duration` of silence, and only then may
the turn end. The transcript need not wait that long: after `stt.finalize_after_s` of silence
inside the caller's speech, the STT is asked to finalize what it has heard (Deepgram's Finalize),
so the final transcript arrives while the turn detector is still deciding and the reply is
prepared in that silence (preemptive generation). If the caller goes on, the next final extends
the transcript and the preparation is redone; nothing is committed sooner than before.

The pause is seen on the session's own VAD (`PauseWatchingVAD` wraps it, one per call): no
second detector runs. The STT stream is flushed through the session's STT pipeline, in audio
order, the way the framework flushes it at the VAD's end of speech.
"""

from __future__ import annotations

from collections.abc import Callable

from livekit import rtc
from livekit.agents import vad
from livekit.agents.voice.audio_recognition import _STTPipelineContextVar

Flush = Callable[[], bool]


class PauseFinalizer:
    """Asks the STT to finalize once per pause of at least `after_s` in the caller's speech."""

    def __init__(self, *, after_s: float) -> None:
        self._after_s = after_s
        self._flush: Flush | None = None
        self._armed = False
        self.finalized = 0  # Finalize requests sent at a pause, for tests and the benchmarks

    def bind_current_stt(self) -> None:
        """Call from inside `Agent.stt_node`: flush the stream that node feeds.

        1.8.9 has no public handle on it; `_STTPipelineContextVar` is what the framework's own
        default `stt_node` uses to register its stream, and the version is pinned.
        """
        pipeline = _STTPipelineContextVar.get(None)
        self.bind(pipeline.flush if pipeline is not None else None)

    def bind(self, flush: Flush | None) -> None:
        """`flush` asks the STT to finalize (True: asked); None: nothing to ask."""
        self._flush = flush

    def observe(self, ev: vad.VADEvent) -> None:
        if ev.type is not vad.VADEventType.INFERENCE_DONE or not ev.speaking:
            self._armed = False  # start or end of speech: the framework takes it from here
            return
        if ev.raw_accumulated_speech > 0.0:
            self._armed = True  # words since the last pause: finalize at the next one
        elif self._armed and ev.raw_accumulated_silence >= self._after_s:
            self._armed = False
            if self._flush is not None and self._flush():
                self.finalized += 1


class PauseWatchingVAD(vad.VAD):
    """The call's VAD, unchanged, with each of its events shown to a `PauseFinalizer` first."""

    def __init__(self, inner: vad.VAD, finalizer: PauseFinalizer) -> None:
        super().__init__(capabilities=inner.capabilities)
        self._inner = inner
        self._finalizer = finalizer
        self._label = inner._label

    @property
    def model(self) -> str:
        return self._inner.model

    @property
    def provider(self) -> str:
        return self._inner.provider

    def stream(self) -> vad.VADStream:
        return _WatchedStream(self, self._inner.stream(), self._finalizer)


class _WatchedStream(vad.VADStream):
    def __init__(self, owner: PauseWatchingVAD, inner: vad.VADStream, finalizer: PauseFinalizer):
        self._inner = inner
        self._finalizer = finalizer
        super().__init__(owner)

    async def _main_task(self) -> None:
        async for ev in self._inner:
            self._finalizer.observe(ev)
            self._event_ch.send_nowait(ev)

    def push_frame(self, frame: rtc.AudioFrame) -> None:
        self._inner.push_frame(frame)

    def flush(self) -> None:
        self._inner.flush()

    def end_input(self) -> None:
        self._inner.end_input()

    async def aclose(self) -> None:
        await self._inner.aclose()
        await super().aclose()
