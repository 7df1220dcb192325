"""The harness microphone and loudspeaker keep exact time and report playout like a room does."""

from __future__ import annotations

import numpy as np
import pytest
from livekit import rtc
from livekit.agents.voice.io import PlaybackFinishedEvent

from harness import CallerAudioInput, CallerSpeech, PlayoutAudioOutput

pytestmark = pytest.mark.unit

RATE = 16000


class FakeClock:
    """A clock that only moves when something sleeps on it (or the test moves it)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def _speech(lead: int, voiced: int, trail: int) -> CallerSpeech:
    tone = (8000 * np.sin(np.arange(voiced) * 2 * np.pi * 220 / RATE)).astype(np.int16)
    pcm = np.concatenate([np.zeros(lead, np.int16), tone, np.zeros(trail, np.int16)])
    return CallerSpeech.from_pcm(pcm.tobytes(), sample_rate=RATE, text="tone")


def _frame(seconds: float, value: int = 1000) -> rtc.AudioFrame:
    samples = int(RATE * seconds)
    return rtc.AudioFrame((np.full(samples, value, np.int16)).tobytes(), RATE, 1, samples)


async def test_microphone_plays_turns_between_silence_and_dates_the_end_of_speech() -> None:
    clock = FakeClock()
    mic = CallerAudioInput(sample_rate=RATE, frame_ms=20, clock=clock, sleep=clock.sleep)
    speech = _speech(lead=1600, voiced=8000, trail=3210)  # 0.1 s, 0.5 s, 0.2 s + 10 samples
    assert (speech.speech_start, speech.speech_end) == (1600, 9600)

    silence = await anext(mic)  # nothing queued yet: one silent frame, delivered at 20 ms
    assert silence.samples_per_channel == 320 and not any(bytes(silence.data))
    done = mic.play(speech)
    frames: list[bytes] = []
    while not done.done():
        frames.append(bytes((await anext(mic)).data))
    played = done.result()

    assert len(frames) == 41 and not mic.busy  # 12810 samples, the last frame padded
    assert b"".join(frames)[: len(speech.pcm)] == speech.pcm
    assert not any(b"".join(frames)[len(speech.pcm) :])
    assert played.started_at == pytest.approx(0.02)  # right after the silent frame
    assert played.speech_end_at == pytest.approx(0.02 + 9600 / RATE)
    assert played.finished_at == pytest.approx(0.02 + 12810 / RATE)
    assert clock.now == pytest.approx(0.02 * 42) and mic.late_frames == 0

    mic.close()
    with pytest.raises(StopAsyncIteration):
        await anext(mic)


async def test_microphone_resamples_speech_to_the_rate_the_agent_asked_for() -> None:
    clock = FakeClock()
    mic = CallerAudioInput(sample_rate=24000, clock=clock, sleep=clock.sleep)
    mic.configure(sample_rate=8000, frame_ms=50)
    played = mic.play(_speech(lead=1600, voiced=16000, trail=1600))  # 0.1 s, 1 s, 0.1 s
    frames = []
    while mic.busy:
        frame = await anext(mic)
        assert (frame.sample_rate, frame.samples_per_channel) == (8000, 400)
        frames.append(frame)
    assert len(frames) == 24  # 1.2 s in 50 ms frames
    speech = (await played).speech
    assert speech.sample_rate == 8000
    assert speech.speech_end / 8000 == pytest.approx(1.1, abs=0.02)


async def test_the_microphone_cannot_change_once_delivering() -> None:
    clock = FakeClock()
    mic = CallerAudioInput(sample_rate=RATE, clock=clock, sleep=clock.sleep)
    await anext(mic)
    with pytest.raises(RuntimeError, match="already delivering"):
        mic.configure(sample_rate=8000, frame_ms=50)


async def test_loudspeaker_reports_a_segment_played_in_full() -> None:
    clock = FakeClock()
    speaker = PlayoutAudioOutput(clock=clock)
    started: list[float] = []
    speaker.on("playback_started", lambda ev: started.append(ev.created_at))
    for _ in range(5):
        await speaker.capture_frame(_frame(0.1))
    assert speaker.playing and len(started) == 1
    clock.now = 0.6  # past the end of the 0.5 s segment
    speaker.flush()
    ev: PlaybackFinishedEvent = await speaker.wait_for_playout()

    assert ev.playback_position == pytest.approx(0.5) and ev.interrupted is False
    [segment] = speaker.segments
    assert segment.pushed_s == pytest.approx(0.5) and segment.played_s == segment.pushed_s
    assert len(segment.pcm) == 2 * int(RATE * 0.5) and not speaker.playing


async def test_loudspeaker_cleared_mid_segment_reports_what_was_heard() -> None:
    clock = FakeClock()
    speaker = PlayoutAudioOutput(clock=clock)
    for _ in range(10):
        await speaker.capture_frame(_frame(0.1))
    clock.now = 0.25
    speaker.clear_buffer()
    await speaker.capture_frame(_frame(0.1))  # arrives after the clear: never played
    speaker.flush()
    ev = await speaker.wait_for_playout()

    assert ev.playback_position == pytest.approx(0.25) and ev.interrupted is True
    [segment] = speaker.segments
    assert segment.interrupted and segment.cleared_at == 0.25
    assert segment.pushed_s == pytest.approx(1.0) and segment.played_s == pytest.approx(0.25)

    await speaker.capture_frame(_frame(0.1))  # the next answer starts a new segment
    assert len(speaker.segments) == 2 and not speaker.segments[1].interrupted
    clock.now = 1.0
    speaker.flush()
    assert (await speaker.wait_for_playout()).interrupted is False
    await speaker.aclose()


async def test_loudspeaker_waits_for_real_time_playout() -> None:
    speaker = PlayoutAudioOutput(speed=20.0)  # real clock, 20x: 0.4 s of audio takes 20 ms
    await speaker.capture_frame(_frame(0.4))
    speaker.flush()
    assert speaker.playing
    ev = await speaker.wait_for_playout()
    [segment] = speaker.segments
    assert ev.interrupted is False and segment.finished_at is not None
    assert segment.finished_at >= segment.started_at + 0.4 / 20.0
