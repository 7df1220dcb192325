"""Caller speech: espeak-ng turns, and where the speech in a recording starts and ends."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from harness import CallerSpeech, SpeechToolsMissing, speak, speech_bounds

pytestmark = pytest.mark.unit


def test_speech_bounds_find_the_loud_part() -> None:
    rate = 24000
    tone = (6000 * np.sin(np.arange(rate // 2) * 2 * np.pi * 200 / rate)).astype(np.int16)
    hiss = np.random.default_rng(1).normal(0, 20, rate // 4).astype(np.int16)
    pcm = np.concatenate([hiss, tone, hiss]).tobytes()
    assert speech_bounds(pcm, sample_rate=rate) == (rate // 4, rate // 4 + rate // 2)
    with pytest.raises(ValueError, match="no speech"):
        speech_bounds(hiss.tobytes(), sample_rate=rate)


def test_speak_writes_a_padded_wav_once_and_reads_it_back(tmp_path: Path) -> None:
    try:
        speech = speak("Where is my order?", directory=tmp_path, lead_s=0.5, trail_s=0.7)
    except SpeechToolsMissing as exc:
        pytest.skip(str(exc))
    assert speech.sample_rate == 24000 and speech.path is not None
    assert speech.speech_start / 24000 == pytest.approx(0.5, abs=0.03)
    assert speech.duration_s - speech.speech_end_s >= 0.7
    assert 0.6 < speech.speech_s < 2.5
    with wave.open(str(speech.path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 24000)

    mtime = speech.path.stat().st_mtime_ns
    again = speak("Where is my order?", directory=tmp_path, lead_s=0.5, trail_s=0.7)
    assert again == speech and speech.path.stat().st_mtime_ns == mtime
    assert CallerSpeech.from_wav(speech.path, text=speech.text) == speech
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".wav"]
