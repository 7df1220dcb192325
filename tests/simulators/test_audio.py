"""Synthesised speech and the energy segmenter, including a check with the real Silero VAD."""

from __future__ import annotations

import numpy as np
import pytest
from livekit import rtc
from livekit.agents import vad
from livekit.plugins import silero

from simulators import SegmenterConfig, SpeechSegmenter, speech_duration_s, synthesize
from simulators.audio import iter_chunks, rms

SILENCE = b"\x00\x00"


@pytest.mark.unit
def test_synthesis_is_deterministic_with_text_proportional_duration() -> None:
    text = "Your order ACME-1042 shipped yesterday."
    pcm = synthesize(text, sample_rate=16000)
    assert pcm == synthesize(text, sample_rate=16000)
    assert pcm != synthesize("Something else entirely.", sample_rate=16000)
    assert len(pcm) / 2 / 16000 == pytest.approx(0.065 * len(text), abs=0.001)
    assert len(synthesize("Hi", sample_rate=24000)) / 2 / 24000 == pytest.approx(0.2, abs=0.001)
    assert speech_duration_s("  padded  ") == pytest.approx(0.065 * 6)
    samples = np.frombuffer(pcm, dtype=np.int16)
    assert 2000 < rms(pcm) < 16000 and int(np.abs(samples).max()) < 32767


@pytest.mark.unit
def test_chunks_cover_the_audio() -> None:
    pcm = synthesize("Hello there", sample_rate=24000)
    chunks = list(iter_chunks(pcm, sample_rate=24000, chunk_s=0.03))
    assert b"".join(chunks) == pcm
    assert {len(c) for c in chunks[:-1]} == {24000 * 3 // 100 * 2}


@pytest.mark.unit
def test_segmenter_finds_onset_and_end_after_trailing_silence() -> None:
    rate = 16000
    speech = synthesize("where is my order", sample_rate=rate)
    audio = SILENCE * (rate // 2) + speech + SILENCE * rate
    seg = SpeechSegmenter(sample_rate=rate, config=SegmenterConfig(end_silence_s=0.4))
    events = []
    for chunk in iter_chunks(audio, sample_rate=rate, chunk_s=0.05):
        events += seg.feed(chunk)
    assert [e.kind for e in events] == ["start", "end"]
    assert events[0].start_s == pytest.approx(0.5, abs=0.03)
    assert events[1].end_s == pytest.approx(0.5 + len(speech) / 2 / rate, abs=0.05)
    assert seg.finalize() is None


@pytest.mark.unit
def test_segmenter_ignores_blips_and_finalizes_on_request() -> None:
    rate = 16000
    blip = synthesize("x", sample_rate=rate)[: int(0.1 * rate) * 2]
    seg = SpeechSegmenter(sample_rate=rate)
    assert seg.feed(blip + SILENCE * rate) == []
    events = seg.feed(synthesize("hello there", sample_rate=rate))
    assert [e.kind for e in events] == ["start"] and seg.speaking
    end = seg.finalize()
    assert end is not None and end.kind == "end" and not seg.speaking


@pytest.mark.integration
async def test_silero_vad_hears_synthesised_audio_as_speech() -> None:
    rate = 16000
    text = "Your order has shipped and will arrive on Friday."
    audio = SILENCE * (rate // 2) + synthesize(text, sample_rate=rate) + SILENCE * rate
    stream = silero.VAD.load().stream()
    for chunk in iter_chunks(audio, sample_rate=rate, chunk_s=0.01):
        stream.push_frame(rtc.AudioFrame(chunk, rate, 1, len(chunk) // 2))
    stream.end_input()
    events = [ev async for ev in stream if ev.type != vad.VADEventType.INFERENCE_DONE]
    assert [ev.type for ev in events] == [
        vad.VADEventType.START_OF_SPEECH,
        vad.VADEventType.END_OF_SPEECH,
    ]
    assert events[1].speech_duration == pytest.approx(speech_duration_s(text), rel=0.15)
