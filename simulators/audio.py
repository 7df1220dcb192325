"""Speech-like PCM16 synthesis and an energy-based speech segmenter for the simulators."""

from __future__ import annotations

import asyncio
import functools
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

SECONDS_PER_CHAR = 0.065
MIN_SPEECH_S = 0.2
_SYLLABLE_RATE = 4.5
_CONTROL_RATE = 200  # harmonic gain updates per second
_MAX_HARMONIC_HZ = 4000.0
_FORMANTS = (
    (730.0, 1090.0, 2440.0),
    (270.0, 2290.0, 3010.0),
    (530.0, 1840.0, 2480.0),
    (570.0, 840.0, 2410.0),
    (300.0, 870.0, 2240.0),
)


def speech_duration_s(text: str) -> float:
    """Duration of the audio synthesised for `text` (~65 ms per character, min 200 ms)."""
    return max(MIN_SPEECH_S, SECONDS_PER_CHAR * len(text.strip()))


@functools.lru_cache(maxsize=128)
def synthesize(text: str, *, sample_rate: int) -> bytes:
    """Deterministic voiced-speech-like PCM16 mono audio for `text` (cached).

    A glottal-like harmonic source (f0 ~110-150 Hz, gentle intonation) shaped by vowel
    formants that change every syllable, with a ~4.5 Hz syllable envelope and dips at word
    boundaries, so energy and neural VADs both treat it as speech. Takes a few ms per second
    of audio: call `synthesize_async` from an event loop.
    """
    n = round(speech_duration_s(text) * sample_rate)
    seed = zlib.crc32(text.encode())
    rng = np.random.default_rng(seed)
    t = np.arange(n) / sample_rate
    duration = n / sample_rate

    f0 = (
        115.0
        + 25.0 * np.sin(2 * np.pi * t / max(duration, 0.5) + seed % 7)
        + 8.0 * np.sin(2 * np.pi * 5.0 * t)
    )
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate

    # harmonic gains change slowly: compute them every `step` samples, then hold
    step = max(1, sample_rate // _CONTROL_RATE)
    t_ctrl, f0_ctrl = t[::step], f0[::step]
    syllable = np.floor(t_ctrl * _SYLLABLE_RATE).astype(np.int64)
    vowels = rng.integers(0, len(_FORMANTS), size=int(syllable.max()) + 1)
    formants = np.array(_FORMANTS)[vowels[syllable]]  # (control frames, 3)

    signal = np.zeros(n)
    top = min(_MAX_HARMONIC_HZ, sample_rate / 2 - 200)
    base = np.exp(1j * phase)
    harmonic = base.copy()  # e^(i k phase), advanced by one multiplication per harmonic
    for k in range(1, int(top // 100) + 1):
        freq = k * f0_ctrl
        if float(freq.min()) >= top:
            break
        gain = sum(
            np.exp(-(((freq - formants[:, i]) / (90.0 + 40 * i)) ** 2)) / (1 + i) for i in range(3)
        )
        held = np.repeat((gain + 0.02) / k**0.5, step)[:n]
        signal += held * harmonic.imag
        harmonic *= base

    envelope = 0.25 + 0.75 * np.sin(np.pi * ((t * _SYLLABLE_RATE) % 1.0)) ** 0.6
    for gap in _word_gap_times(text, duration):
        lo, hi = max(0, int((gap - 0.1) * sample_rate)), min(n, int((gap + 0.1) * sample_rate))
        envelope[lo:hi] *= 1.0 - 0.8 * np.exp(-(((t[lo:hi] - gap) / 0.03) ** 2))
    fade = np.minimum(1.0, np.minimum(t, duration - t) / 0.01)
    signal = signal * envelope * fade + rng.normal(0.0, 0.003, n)

    peak = float(np.max(np.abs(signal))) or 1.0
    pcm = np.clip(signal / peak * 0.35 * 32767, -32768, 32767).astype(np.int16)
    return pcm.tobytes()


async def synthesize_async(text: str, *, sample_rate: int) -> bytes:
    """`synthesize` off the event loop (cache hits return at once)."""
    return await asyncio.to_thread(synthesize, text, sample_rate=sample_rate)


def _word_gap_times(text: str, duration: float) -> list[float]:
    stripped = text.strip()
    if not stripped:
        return []
    return [duration * i / len(stripped) for i, ch in enumerate(stripped) if ch.isspace()]


def iter_chunks(pcm: bytes, *, sample_rate: int, chunk_s: float = 0.03) -> Iterator[bytes]:
    """Split PCM16 mono into chunks of `chunk_s` seconds (the last may be shorter)."""
    size = max(2, int(sample_rate * chunk_s) * 2)
    for start in range(0, len(pcm), size):
        yield pcm[start : start + size]


def rms(pcm: bytes) -> float:
    """Root mean square of PCM16 samples, in sample units (0..32768)."""
    if len(pcm) < 2:
        return 0.0
    samples: npt.NDArray[np.int16] = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype=np.int16)
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


@dataclass(frozen=True, kw_only=True)
class SegmenterConfig:
    """Energy detector settings shared by the STT and Realtime simulators."""

    threshold_rms: float = 300.0
    min_speech_s: float = 0.15
    end_silence_s: float = 0.4
    frame_s: float = 0.02


@dataclass(frozen=True, kw_only=True)
class SegmentEvent:
    """Speech onset or end; times are seconds of audio received on the stream."""

    kind: Literal["start", "end"]
    start_s: float
    end_s: float = 0.0


class SpeechSegmenter:
    """Frame-RMS speech detector: onset after `min_speech_s` voiced audio, end after silence."""

    def __init__(self, *, sample_rate: int, config: SegmenterConfig | None = None) -> None:
        self.config = config or SegmenterConfig()
        self.sample_rate = sample_rate
        self._frame_bytes = max(2, int(sample_rate * self.config.frame_s) * 2)
        self._pending = b""
        self._frames = 0
        self._candidate_s: float | None = None
        self._voiced_s = 0.0
        self._speaking = False
        self._last_voiced_end_s = 0.0

    @property
    def speaking(self) -> bool:
        return self._speaking

    @property
    def last_voiced_s(self) -> float:
        """End of the last voiced frame, in seconds of audio received."""
        return self._last_voiced_end_s

    @property
    def position_s(self) -> float:
        """Seconds of audio analysed so far."""
        return self._frames * self._frame_bytes / 2 / self.sample_rate

    def feed(self, pcm: bytes) -> list[SegmentEvent]:
        events: list[SegmentEvent] = []
        self._pending += pcm
        frame_s = self._frame_bytes / 2 / self.sample_rate
        while len(self._pending) >= self._frame_bytes:
            frame, self._pending = (
                self._pending[: self._frame_bytes],
                self._pending[self._frame_bytes :],
            )
            start_s = self.position_s
            self._frames += 1
            if rms(frame) >= self.config.threshold_rms:
                self._last_voiced_end_s = start_s + frame_s
                if self._candidate_s is None:
                    self._candidate_s, self._voiced_s = start_s, 0.0
                self._voiced_s += frame_s
                if not self._speaking and self._voiced_s >= self.config.min_speech_s - 1e-9:
                    self._speaking = True
                    events.append(SegmentEvent(kind="start", start_s=self._candidate_s))
            elif self._candidate_s is not None:
                silence = self.position_s - self._last_voiced_end_s
                if silence >= self.config.end_silence_s - 1e-9:
                    if self._speaking:
                        events.append(self._end())
                    self._candidate_s = None
        return events

    def finalize(self) -> SegmentEvent | None:
        """End the current segment now (client asked to finalize); None when not speaking."""
        if not self._speaking:
            self._candidate_s = None
            return None
        event = self._end()
        self._candidate_s = None
        return event

    def reset(self) -> None:
        self._pending = b""
        self._candidate_s = None
        self._speaking = False

    def _end(self) -> SegmentEvent:
        assert self._candidate_s is not None
        self._speaking = False
        return SegmentEvent(kind="end", start_s=self._candidate_s, end_s=self._last_voiced_end_s)
