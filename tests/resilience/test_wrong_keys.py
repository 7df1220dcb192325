"""A wrong API key: refused the way each provider refuses it, logged once naming its variable,
and with a fallback configured the call moves to it from the first turn."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from harness.scenario import acme_script
from simulators import Latency, ProviderSimulator
from tests.resilience.text_calls import captured
from tests.resilience.voice_calls import settings_for, voice_call

pytestmark = pytest.mark.integration

ASK = "where is order ACME-1042"
ANSWER = "Order ACME-1042 shipped"
RIGHT = {"openai": "sk-right", "deepgram": "dg-right", "cartesia": "ca-right"}
WRONG = {"OPENAI_API_KEY": "sk-wrong", "DEEPGRAM_API_KEY": "dg-wrong", "CARTESIA_API_KEY": "x"}


@pytest.fixture
async def sims() -> AsyncIterator[tuple[ProviderSimulator, ProviderSimulator]]:
    async with (
        ProviderSimulator(script=acme_script(), latency=Latency.instant()) as primary,
        ProviderSimulator(script=acme_script(), latency=Latency.instant()) as backup,
    ):
        primary.behaviour.api_keys.update(RIGHT)  # type: ignore[arg-type]
        yield primary, backup


def rejected(logs: list[logging.LogRecord]) -> list[str]:
    return [
        str(getattr(r, "variable", ""))
        for r in logs
        if r.getMessage() == "provider rejected the API key"
    ]


async def test_wrong_keys_move_a_pipeline_call_to_its_fallbacks(
    sims: tuple[ProviderSimulator, ProviderSimulator], tmp_path: Path
) -> None:
    primary, backup = sims
    settings = settings_for(
        primary,
        backup,
        tmp_path,
        ACME_FALLBACK_STT="openai",
        ACME_FALLBACK_TTS="openai",
        ACME_FALLBACK_LLM_MODEL="gpt-4o-mini",
        **WRONG,
    )
    with captured("acme") as logs:
        async with voice_call(settings, primary, backup) as call:
            first = await call.turn(ASK)
            second = await call.turn(ASK)

    assert first.startswith(ANSWER) and second.startswith(ANSWER)
    assert sorted(rejected(logs)) == ["CARTESIA_API_KEY", "DEEPGRAM_API_KEY", "OPENAI_API_KEY"]
    assert [t.transcript for t in backup.received.transcriptions][-2:] == [ASK, ASK]
    assert second.endswith(backup.received.tts_texts[-1])  # spoken by OpenAI, by sentence
    assert primary.received.stt_streams == [] and primary.received.tts_requests == []
    assert "sk-wrong" not in " ".join(r.getMessage() + str(r.__dict__) for r in logs)


async def test_a_wrong_key_moves_a_realtime_call_to_its_fallback(
    sims: tuple[ProviderSimulator, ProviderSimulator], tmp_path: Path
) -> None:
    primary, backup = sims
    settings = settings_for(
        primary,
        backup,
        tmp_path,
        ACME_MODE="realtime",
        ACME_FALLBACK_REALTIME_MODEL="gpt-realtime-mini",
        OPENAI_API_KEY="sk-wrong",
    )
    with captured("acme") as logs:
        async with voice_call(settings, primary, backup, greeted=False) as call:
            first = await call.turn(ASK)

    assert first.startswith(ANSWER)
    assert rejected(logs) == ["OPENAI_API_KEY"]
    assert len(backup.received.realtime_sessions) == 1
