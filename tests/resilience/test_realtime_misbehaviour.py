"""The Realtime API failing the way it does, in realtime calls wired as the worker wires them.

A failed, rate-limited or cut-short response, an error event, a refused reply request, a failed
transcription and a session that hits its maximum duration: the call goes on, at most the turn
is lost and then the caller hears an apology, and the log names the provider and the failure.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agent.behaviors.provider_errors import APOLOGY
from harness.scenario import acme_script
from simulators import FaultKind, Latency, ProviderSimulator
from simulators.script import DEFAULT_ANSWER
from tests.resilience.text_calls import captured
from tests.resilience.voice_calls import settings_for, voice_call

pytestmark = pytest.mark.integration

ASK = "where is order ACME-1042"
ANSWER = "Order ACME-1042 shipped"
POLICY = "what is your return policy"


@pytest.fixture
async def sims() -> AsyncIterator[tuple[ProviderSimulator, ProviderSimulator]]:
    latency = Latency.instant()
    latency.realtime_transcript_s = 0.3
    async with (
        ProviderSimulator(script=acme_script(), latency=latency) as primary,
        ProviderSimulator(script=acme_script(), latency=latency) as backup,
    ):
        yield primary, backup


def failures(logs: list[logging.LogRecord]) -> list[str]:
    return [
        str(getattr(r, "failure", ""))
        for r in logs
        if r.getMessage() in ("provider error", "provider error, call continues")
    ]


async def test_realtime_failures_cost_at_most_the_turn(
    sims: tuple[ProviderSimulator, ProviderSimulator], tmp_path: Path
) -> None:
    primary, backup = sims
    settings = settings_for(primary, backup, tmp_path, ACME_MODE="realtime")
    kinds: list[FaultKind] = [
        "response_failed",
        "rate_limited",
        "server_error_event",
        "response_incomplete",
        "transcription_failed",
    ]
    heard: dict[str, str] = {}
    with captured("acme") as logs:
        async with voice_call(settings, primary, backup) as call:
            for kind in kinds:  # each next turn shows the call went on
                primary.faults.inject("realtime", kind)
                heard[kind] = await call.turn(POLICY)
            primary.faults.inject("realtime", "invalid_request")  # the reply after the tool
            heard["invalid_request"] = await call.turn(ASK)
            primary.faults.inject("realtime", "session_expired")
            heard["session_expired"] = await call.turn(POLICY, may_be_lost=True)
            after_expiry = await call.turn(ASK)
            assert call.call.session.agent_state == "listening"

    for kind in ("response_failed", "rate_limited", "server_error_event", "invalid_request"):
        assert heard[kind] == APOLOGY, kind
    cut = heard["response_incomplete"]
    assert 0 < len(cut) < len(DEFAULT_ANSWER) and DEFAULT_ANSWER.startswith(cut)
    assert heard["transcription_failed"] == DEFAULT_ANSWER  # the model heard the audio
    assert after_expiry.startswith(ANSWER)
    assert len(primary.received.realtime_sessions) == 2  # a new session after the expiry
    logged = failures(logs)
    for failure in ("inference_rate_limit_exceeded", "invalid_value", "session_expired"):
        assert failure in logged
    assert all(
        getattr(r, "provider", "") == "livekit.plugins.openai.realtime.realtime_model.RealtimeModel"
        for r in logs
        if r.getMessage().startswith("provider error")
    )
