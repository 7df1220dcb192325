"""Deepgram, Cartesia or the Realtime model fails during a voice call: the fallback takes over.

Voice calls wired as the worker wires them (`agent.call.start_call`), real plugins, the primary
providers on one simulator and the fallbacks on another. Each test checks that at most one turn
is lost, later turns are answered through the fallback, and the switch is logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from harness.scenario import acme_script
from simulators import Latency, ProviderSimulator, speech_duration_s
from tests.resilience.text_calls import captured
from tests.resilience.voice_calls import VoiceCall, records, settings_for, voice_call

pytestmark = pytest.mark.integration

FALLBACKS = {"ACME_FALLBACK_STT": "openai", "ACME_FALLBACK_TTS": "openai"}
Q1, Q2, Q3 = (
    "where is order ACME-1042",
    "where is order ACME-1043",
    "where is order ACME-1047",
)


@pytest.fixture
async def sims() -> AsyncIterator[tuple[ProviderSimulator, ProviderSimulator]]:
    async with (
        ProviderSimulator(script=acme_script(), latency=Latency.instant()) as primary,
        ProviderSimulator(script=acme_script(), latency=Latency.instant()) as backup,
    ):
        yield primary, backup


@pytest.fixture
async def paced_sims() -> AsyncIterator[tuple[ProviderSimulator, ProviderSimulator]]:
    # Realtime needs realistic delays: with none, the server answers before the session has
    # closed the caller's turn, an ordering no real service produces.
    async with (
        ProviderSimulator(script=acme_script()) as primary,
        ProviderSimulator(script=acme_script()) as backup,
    ):
        yield primary, backup


def switches(logs: list[logging.LogRecord], message: str) -> list[str]:
    return [getattr(r, "stage", "") for r in logs if r.getMessage() == message]


async def eventually(logs: list[logging.LogRecord], message: str) -> bool:
    for _ in range(100):
        if any(r.getMessage() == message for r in logs):
            return True
        await asyncio.sleep(0.05)
    return False


def assert_whole_transcript(call: VoiceCall, answered: list[str]) -> None:
    written = records(call.call.transcript_path)
    said = [r["text"] for r in written if r.get("role") == "assistant"]
    for answer in answered:
        assert answer in said


# -- STT: Deepgram, then OpenAI transcription ---------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "times", "when"),
    [
        ("http_500", 2, "start"),  # refused from the first connect
        ("stall", 3, "start"),  # connects hang: abandoned after the 2 s STT timeout
        ("close_mid_stream", 1, "mid-call"),  # the socket drops while the caller talks
    ],
)
async def test_stt_fails_over_to_openai_transcription(
    sims: tuple[ProviderSimulator, ProviderSimulator],
    tmp_path: Path,
    kind: str,
    times: int,
    when: str,
) -> None:
    primary, backup = sims
    settings = settings_for(primary, backup, tmp_path, **FALLBACKS)
    if when == "start":
        primary.faults.inject("stt", kind, times=times)  # type: ignore[arg-type]
    with captured("acme") as logs:
        async with voice_call(settings, primary, backup) as call:
            if when == "mid-call":
                primary.faults.inject("stt", kind, times=times)  # type: ignore[arg-type]
            # The turn that was being spoken as the switch happened may be lost; no other.
            first = await call.turn(Q1, may_be_lost=kind != "http_500")
            second = await call.turn(Q2)
            third = await call.turn(Q3)
            assert call.errors == [] and call.call.session.agent_state == "listening"

    assert primary.faults.fired("stt", kind) >= 1  # type: ignore[arg-type]
    assert second.startswith("Order ACME-1043") and third.startswith("Order ACME-1047")
    if kind == "http_500":
        assert first.startswith("Order ACME-1042")
    heard_by_openai = [t.transcript for t in backup.received.transcriptions]
    assert heard_by_openai[-2:] == [Q2, Q3]
    assert call.heard[-2:] == [Q2, Q3]
    assert switches(logs, "provider failed, using fallback") == ["stt"]
    assert_whole_transcript(call, [second, third])


# -- TTS: Cartesia, then OpenAI speech ----------------------------------------------------------


async def test_tts_refused_at_start_speaks_with_openai_then_returns_to_cartesia(
    sims: tuple[ProviderSimulator, ProviderSimulator], tmp_path: Path
) -> None:
    primary, backup = sims
    settings = settings_for(primary, backup, tmp_path, **FALLBACKS)
    primary.faults.inject("tts", "http_500", times=2)
    with captured("acme") as logs:
        async with voice_call(settings, primary, backup) as call:
            greeting = call.replies[0]
            assert await eventually(logs, "provider recovered")
            first = await call.turn(Q1)

    spoken_by_openai = " ".join(r.text for r in backup.received.tts_requests)
    assert spoken_by_openai.split() == greeting.split()  # the greeting, sentence by sentence
    assert call.speaker.segments[0] == pytest.approx(speech_duration_s(greeting), abs=0.3)
    assert first.startswith("Order ACME-1042")
    assert primary.received.tts_texts[-1] == first  # Cartesia speaks again once it answers
    assert switches(logs, "provider failed, using fallback") == ["tts"]
    assert switches(logs, "provider recovered") == ["tts"]


@pytest.mark.parametrize("kind", ["stall", "close_mid_stream"])
async def test_tts_failing_mid_call_loses_at_most_one_answer(
    sims: tuple[ProviderSimulator, ProviderSimulator], tmp_path: Path, kind: str
) -> None:
    primary, backup = sims
    settings = settings_for(primary, backup, tmp_path, **FALLBACKS)
    with captured("acme") as logs:
        async with voice_call(settings, primary, backup) as call:
            primary.faults.inject("tts", kind)  # type: ignore[arg-type]
            first = await call.turn(Q1)
            second = await call.turn(Q2)
            assert await eventually(logs, "provider recovered")
            third = await call.turn(Q3)
            assert call.call.session.agent_state == "listening"

    played = dict(zip(call.replies, call.speaker.segments, strict=False))
    full = {text: speech_duration_s(text) for text in (first, second, third)}
    if kind == "stall":  # nothing was said yet: OpenAI says the whole answer
        assert played[first] == pytest.approx(full[first], abs=0.3)
        openai_said = " ".join(r.text for r in backup.received.tts_requests)
        assert openai_said.split() == first.split()
    else:  # half the answer was already heard: the rest of it is lost, the next one is not
        assert 0 < played[first] < full[first] - 1.0
        openai_said = " ".join(r.text for r in backup.received.tts_requests)
        assert openai_said.split() == second.split()
    assert played[second] == pytest.approx(full[second], abs=0.3)
    assert played[third] == pytest.approx(full[third], abs=0.3)
    assert primary.received.tts_texts[-1] == third  # back on Cartesia
    assert switches(logs, "provider failed, using fallback") == ["tts"]


# -- Realtime: a second Realtime model, with the conversation so far ----------------------------


@pytest.mark.parametrize("when", ["start", "mid-call"])
async def test_realtime_fails_over_and_keeps_the_conversation(
    paced_sims: tuple[ProviderSimulator, ProviderSimulator], tmp_path: Path, when: str
) -> None:
    primary, backup = paced_sims
    settings = settings_for(
        primary,
        backup,
        tmp_path,
        ACME_MODE="realtime",
        ACME_FALLBACK_REALTIME_MODEL="gpt-realtime-mini",
    )
    if when == "start":  # refused at the first connect and at the one reconnect
        primary.faults.inject("realtime", "http_500", times=2)
    with captured("acme") as logs:
        # A model that is down as the call starts costs the greeting (asked of the dead
        # session); the caller's first words are answered by the fallback.
        async with voice_call(settings, primary, backup, greeted=when != "start") as call:
            before = await call.turn(Q3) if when == "mid-call" else ""
            if when == "mid-call":  # the socket drops during the answer; reconnecting fails
                primary.faults.inject("realtime", "close_mid_stream")
                primary.faults.inject("realtime", "http_500")
            first = await call.turn(Q1, may_be_lost=when == "mid-call")
            second = await call.turn(Q2)
            assert call.call.session.agent_state == "listening"

    assert second.startswith("Order ACME-1043")
    if when == "start":
        assert first.startswith("Order ACME-1042")
        assert primary.received.realtime_sessions == []  # never got a session going
    else:
        assert before.startswith("Order ACME-1047")
        [replayed] = backup.received.realtime_sessions
        items = [
            e.get("item") or {}
            for e in replayed.events
            if e.get("type") == "conversation.item.create"
        ]
        texts = [part.get("text") for item in items for part in item.get("content") or []]
        assert Q3 in texts and before in texts  # the fallback model knows what was said
    [session] = backup.received.realtime_sessions
    assert session.query.get("model") == "gpt-realtime-mini"
    assert Q2 in session.transcripts
    assert switches(logs, "provider failed, using fallback") == ["realtime"]
