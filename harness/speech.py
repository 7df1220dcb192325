"""A caller's spoken turns as PCM16 WAVs (espeak-ng + sox), with where the speech really ends."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_SAMPLE_RATE = 24000
_WINDOW_S = 0.01
_MIN_LEVEL = 200.0  # PCM16 units; espeak-ng pauses are exact zeros
_RELATIVE_LEVEL = 0.02  # of the loudest window


class SpeechToolsMissing(RuntimeError):
    """espeak-ng or sox is not installed (`scripts/setup dev` installs both)."""


@dataclass(frozen=True, kw_only=True)
class CallerSpeech:
    """One caller turn: mono PCM16 audio and the sample range that holds speech."""

    text: str
    pcm: bytes
    sample_rate: int
    speech_start: int
    """First sample of speech."""
    speech_end: int
    """One past the last sample of speech: the caller stops talking here."""
    path: Path | None = None

    @property
    def samples(self) -> int:
        return len(self.pcm) // 2

    @property
    def duration_s(self) -> float:
        return self.samples / self.sample_rate

    @property
    def speech_end_s(self) -> float:
        return self.speech_end / self.sample_rate

    @property
    def speech_s(self) -> float:
        return (self.speech_end - self.speech_start) / self.sample_rate

    @classmethod
    def from_pcm(
        cls, pcm: bytes, *, sample_rate: int, text: str = "", path: Path | None = None
    ) -> CallerSpeech:
        start, end = speech_bounds(pcm, sample_rate=sample_rate)
        return cls(
            text=text,
            pcm=pcm,
            sample_rate=sample_rate,
            speech_start=start,
            speech_end=end,
            path=path,
        )

    def at_rate(self, sample_rate: int) -> CallerSpeech:
        """The same speech resampled (as a room resamples a caller's audio to what the agent
        asked for); the speech bounds are found again in the new audio."""
        if sample_rate == self.sample_rate:
            return self
        from livekit import rtc  # here: the Pipecat peer's environment reads speech without it

        resampler = rtc.AudioResampler(
            input_rate=self.sample_rate,
            output_rate=sample_rate,
            quality=rtc.AudioResamplerQuality.HIGH,
        )
        frames = resampler.push(rtc.AudioFrame(self.pcm, self.sample_rate, 1, self.samples))
        frames += resampler.flush()
        pcm = b"".join(bytes(f.data) for f in frames)
        return CallerSpeech.from_pcm(pcm, sample_rate=sample_rate, text=self.text, path=self.path)

    @classmethod
    def from_wav(cls, path: Path, *, text: str = "") -> CallerSpeech:
        """Load a mono PCM16 WAV (any rate) and find its speech by energy."""
        with wave.open(str(path), "rb") as w:
            if w.getnchannels() != 1 or w.getsampwidth() != 2:
                raise ValueError(f"{path}: need mono 16-bit PCM")
            pcm = w.readframes(w.getnframes())
            rate = w.getframerate()
        return cls.from_pcm(pcm, sample_rate=rate, text=text, path=path)


def speech_bounds(pcm: bytes, *, sample_rate: int) -> tuple[int, int]:
    """(first, one past last) sample of the 10 ms windows loud enough to be speech."""
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype=np.int16).astype(np.float64)
    size = max(1, int(sample_rate * _WINDOW_S))
    count = len(samples) // size
    if count == 0:
        raise ValueError("audio shorter than one analysis window")
    windows = samples[: count * size].reshape(count, size)
    levels = np.sqrt(np.mean(windows**2, axis=1))
    threshold = max(_MIN_LEVEL, float(levels.max()) * _RELATIVE_LEVEL)
    loud = np.flatnonzero(levels >= threshold)
    if len(loud) == 0:
        raise ValueError("no speech found in the audio")
    return int(loud[0]) * size, (int(loud[-1]) + 1) * size


def speak(
    text: str,
    *,
    directory: Path,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    lead_s: float = 0.3,
    trail_s: float = 0.3,
    voice: str = "en-us",
    words_per_minute: int = 175,
) -> CallerSpeech:
    """Say `text` with espeak-ng into `<directory>/<hash>.wav` (reused if present).

    Blocking (runs two subprocesses): call it before the event loop or via `asyncio.to_thread`.
    """
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        raise SpeechToolsMissing("espeak-ng and sox are needed to synthesise caller speech")
    key = f"{text}|{sample_rate}|{lead_s}|{trail_s}|{voice}|{words_per_minute}"
    name = hashlib.sha256(key.encode()).hexdigest()[:16]
    directory.mkdir(parents=True, exist_ok=True)
    wav = directory / f"{name}.wav"
    if not wav.exists():
        raw = directory / f"{name}.raw.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(words_per_minute), "-w", str(raw), text],
            check=True,
            capture_output=True,
        )
        tmp = directory / f"{name}.tmp.wav"
        convert = ["-r", str(sample_rate), "-c", "1", "-b", "16"]
        subprocess.run(
            ["sox", str(raw), *convert, str(tmp), "pad", str(lead_s), str(trail_s)],
            check=True,
            capture_output=True,
        )
        raw.unlink()
        tmp.replace(wav)  # atomic: concurrent callers never read a half-written file
    return CallerSpeech.from_wav(wav, text=text)
