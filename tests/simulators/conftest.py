"""Fixtures for the simulator tests: a running simulator, an HTTP context, spoken WAV audio."""

from __future__ import annotations

import shutil
import subprocess
import wave
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from livekit import rtc
from livekit.agents import utils

from simulators import Latency, ProviderSimulator, Script, on_user_says


@dataclass(frozen=True)
class Speech:
    """PCM16 mono speech with leading and trailing silence."""

    pcm: bytes
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / 2 / self.sample_rate

    def frames(self, frame_ms: int = 20) -> Iterator[rtc.AudioFrame]:
        size = self.sample_rate * frame_ms // 1000 * 2
        for start in range(0, len(self.pcm) - size + 1, size):
            chunk = self.pcm[start : start + size]
            yield rtc.AudioFrame(chunk, self.sample_rate, 1, len(chunk) // 2)

    def silence(self, seconds: float) -> Speech:
        pad = b"\x00\x00" * int(self.sample_rate * seconds)
        return Speech(self.pcm + pad, self.sample_rate)

    def __add__(self, other: Speech) -> Speech:
        assert other.sample_rate == self.sample_rate
        return Speech(self.pcm + other.pcm, self.sample_rate)


def _espeak(text: str, out_dir: Path, rate: int) -> Speech:
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("espeak-ng and sox are needed for spoken audio")
    raw, wav = out_dir / "raw.wav", out_dir / f"speech_{rate}.wav"
    subprocess.run(["espeak-ng", "-w", str(raw), text], check=True)
    subprocess.run(
        ["sox", str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(wav), "pad", "0.5", "1.0"],
        check=True,
    )
    with wave.open(str(wav)) as w:
        return Speech(w.readframes(w.getnframes()), w.getframerate())


@pytest.fixture(scope="session")
def speech_16k(tmp_path_factory: pytest.TempPathFactory) -> Speech:
    """ "where is my order" spoken by espeak-ng, 16 kHz, 0.5 s before and 1 s after."""
    return _espeak("where is my order", tmp_path_factory.mktemp("speech16"), 16000)


@pytest.fixture(scope="session")
def speech_24k(tmp_path_factory: pytest.TempPathFactory) -> Speech:
    return _espeak("where is my order", tmp_path_factory.mktemp("speech24"), 24000)


def lookup_script() -> Script:
    """The scripted model these tests talk to: an order number in the question looks it up."""
    return Script(
        rules=[on_user_says(r"order (\S+?)\??$").call_tool("lookup_order", {"order_id": r"\1"})]
    )


@pytest.fixture
async def sim() -> AsyncIterator[ProviderSimulator]:
    async with ProviderSimulator(script=lookup_script(), latency=Latency.instant()) as simulator:
        simulator.behaviour.deepgram.finals_in_pieces = True  # as Deepgram does
        yield simulator


@pytest.fixture
async def http() -> AsyncIterator[None]:
    async with utils.http_context.open():
        yield
