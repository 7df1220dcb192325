"""Turn-taking in a voice call: with `stt.finalize_on_silence` the transcript is finalized as soon
as the caller stops, and with the defaults a caller who pauses mid-sentence is answered once, at
the end.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench.levers import Overrides, settings_file
from harness import CallerSpeech, CallerTurn, CallResult, SimulatorUrls, run_call
from harness.acme import acme_stt_split_s
from harness.paused_speech import (
    PAUSED_SET,
    PausedUtterance,
    heard_pieces,
    speak_paused,
    stt_split_s,
)
from harness.scenario import NO_TOOL_ANSWER, NO_TOOL_QUESTION
from harness.speech import SpeechToolsMissing
from simulators import ProviderSimulator

pytestmark = pytest.mark.integration

CALL_TIMEOUT_S = 60


def _speech(u: PausedUtterance, directory: Path) -> CallerSpeech:
    try:
        return speak_paused(u, directory=directory)
    except SpeechToolsMissing as exc:
        pytest.skip(str(exc))


async def _one_turn_call(
    sim: ProviderSimulator,
    speech: CallerSpeech,
    tmp_path: Path,
    *,
    call_id: str,
    settings: Overrides | None = None,
) -> CallResult:
    """A pipeline call of one caller turn, under `settings` written over config/settings.toml."""
    environ = {}
    if settings is not None:
        environ["ACME_CONFIG"] = str(settings_file(settings, tmp_path / "settings.toml"))
    return await asyncio.wait_for(
        run_call(
            mode="pipeline",
            turns=[CallerTurn(speech=speech)],
            urls=SimulatorUrls.of(sim),
            workdir=tmp_path,
            call_id=call_id,
            environ=environ,
        ),
        CALL_TIMEOUT_S,
    )


async def test_the_caller_stopping_finalizes_the_transcript(
    sim: ProviderSimulator, tmp_path: Path
) -> None:
    question = PausedUtterance(pieces=(NO_TOOL_QUESTION.spoken,), pauses_s=())
    speech = _speech(question, tmp_path / "caller")
    sim.script.hear(NO_TOOL_QUESTION.heard)
    finalizing: Overrides = {
        "stt": {"finalize_on_silence": True},
        "vad": {"min_silence_duration": 0.25},
    }
    result = await _one_turn_call(
        sim, speech, tmp_path, call_id="e2e-finalize", settings=finalizing
    )
    [turn] = result.turns
    assert [m["text"] for m in turn.assistant] == [NO_TOOL_ANSWER]
    # Deepgram was asked to finalize when the caller stopped (the VAD's end of speech)
    controls = [c for s in sim.received.stt_streams for c in s.control]
    assert "Finalize" in controls


async def test_a_pause_between_sentences_finalizes_the_transcript_and_the_turn_stays_open(
    sim: ProviderSimulator, tmp_path: Path
) -> None:
    # "What is your return policy? [0.31 s] Thank you.": finalized at the pause, answered once
    question = PausedUtterance(pieces=(NO_TOOL_QUESTION.spoken,), pauses_s=())
    speech = _speech(question, tmp_path / "caller")
    pieces = heard_pieces(NO_TOOL_QUESTION.heard, stt_split_s(finalize_after_s=0.15 + 0.1))
    assert len(pieces) == 2
    sim.script.hear(*pieces)
    pausing: Overrides = {"stt": {"finalize_after_s": 0.15}}
    result = await _one_turn_call(
        sim, speech, tmp_path, call_id="e2e-pause-finalize", settings=pausing
    )
    [turn] = result.turns
    assert sim.script.hears == []  # the STT was asked to finalize at the pause: two utterances
    assert turn.user_texts == [NO_TOOL_QUESTION.heard]  # ...and one caller turn
    assert turn.first_audio_at is not None and turn.first_audio_at > turn.speech_end_at
    assert [m["text"] for m in turn.assistant] == [NO_TOOL_ANSWER]


async def test_a_caller_pausing_mid_sentence_is_answered_once_at_the_end(
    sim: ProviderSimulator, tmp_path: Path
) -> None:
    u = PAUSED_SET[0]  # "My order number is ... ACME 1042."
    speech = _speech(u, tmp_path / "caller")
    sim.script.hear(*u.heard(acme_stt_split_s()))
    result = await _one_turn_call(sim, speech, tmp_path, call_id="e2e-paused")
    [turn] = result.turns
    assert turn.user_texts == ["My order number is ACME-1042."]
    assert turn.first_audio_at is not None and turn.first_audio_at > turn.speech_end_at
    # the whole sentence's order was looked up (by the model's tool call, or before it asked)
    looked_up = [r for r in result.transcript if r["type"] == "tool_call"]
    assert [r["name"] for r in looked_up] == ["lookup_order"]
    assert "ACME-1042" in looked_up[0]["arguments"]
