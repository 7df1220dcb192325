"""Finalize at a pause: once per pause inside the caller's speech, and only a sound setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from livekit.agents import vad

from agent.pause_finalize import PauseFinalizer
from agent.settings import ConfigError, load_settings
from bench.levers import settings_file

pytestmark = pytest.mark.unit

KEYS = {"OPENAI_API_KEY": "sk-o", "DEEPGRAM_API_KEY": "dg", "CARTESIA_API_KEY": "ca"}
WINDOW_S = 0.032  # one Silero inference window


def _event(kind: vad.VADEventType, *, speech: float = 0.0, silence: float = 0.0) -> vad.VADEvent:
    return vad.VADEvent(
        type=kind,
        samples_index=0,
        timestamp=0.0,
        speech_duration=0.0,
        silence_duration=0.0,
        speaking=kind is not vad.VADEventType.END_OF_SPEECH,
        raw_accumulated_speech=speech,
        raw_accumulated_silence=silence,
    )


def _words(seconds: float) -> list[vad.VADEvent]:
    n = round(seconds / WINDOW_S)
    return [_event(vad.VADEventType.INFERENCE_DONE, speech=WINDOW_S * i) for i in range(1, n + 1)]


def _pause(seconds: float) -> list[vad.VADEvent]:
    n = round(seconds / WINDOW_S)
    return [_event(vad.VADEventType.INFERENCE_DONE, silence=WINDOW_S * i) for i in range(1, n + 1)]


def _finalizes(events: list[vad.VADEvent], *, after_s: float = 0.15) -> int:
    finalizer = PauseFinalizer(after_s=after_s)
    asked: list[int] = []

    def flush() -> bool:  # the STT pipeline's flush: True, the STT was asked
        asked.append(1)
        return True

    finalizer.bind(flush)
    for ev in events:
        finalizer.observe(ev)
    assert finalizer.finalized == len(asked)
    return len(asked)


def test_each_pause_after_words_is_finalized_once() -> None:
    start = [_event(vad.VADEventType.START_OF_SPEECH)]
    assert _finalizes([*start, *_words(0.5), *_pause(0.4)]) == 1
    assert _finalizes([*start, *_words(0.5), *_pause(0.2), *_words(0.3), *_pause(0.4)]) == 2


def test_a_pause_shorter_than_the_setting_is_not_finalized() -> None:
    start = [_event(vad.VADEventType.START_OF_SPEECH)]
    assert _finalizes([*start, *_words(0.5), *_pause(0.1), *_words(0.3)]) == 0
    assert _finalizes([*start, *_words(0.5), *_pause(0.2)], after_s=0.25) == 0


def test_silence_outside_the_callers_speech_is_left_to_the_framework() -> None:
    end = [_event(vad.VADEventType.END_OF_SPEECH)]
    quiet = [_event(vad.VADEventType.INFERENCE_DONE, silence=0.5)]
    quiet[0].speaking = False
    assert _finalizes([*_words(0.5), *end, *quiet]) == 0


@pytest.mark.parametrize("after_s", [0.1, 0.55, 0.8])
def test_an_unsound_pause_stops_startup_naming_the_setting(after_s: float, tmp_path: Path) -> None:
    config = settings_file({"stt": {"finalize_after_s": after_s}}, tmp_path / "settings.toml")
    with pytest.raises(ConfigError, match=r"stt\.finalize_after_s must be 0 \(off\) or from"):
        load_settings(environ={**KEYS, "ACME_CONFIG": str(config)})


def test_off_by_zero_and_on_below_the_vads_silence(tmp_path: Path) -> None:
    config = settings_file({"stt": {"finalize_after_s": 0.2}}, tmp_path / "settings.toml")
    assert load_settings(environ={**KEYS, "ACME_CONFIG": str(config)}).stt.finalize_after_s == 0.2
    off = settings_file({"stt": {"finalize_after_s": 0}}, tmp_path / "off.toml")
    assert load_settings(environ={**KEYS, "ACME_CONFIG": str(off)}).stt.finalize_after_s == 0
