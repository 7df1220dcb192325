"""A provider sends a malformed message (bad JSON, missing fields): logged, and the call goes on.

No fallbacks configured here: each stage has to absorb the bad message by itself, in a voice call
wired as the worker wires it. At most the turn it hit is lost; the next turn is answered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from harness.scenario import acme_script
from simulators import ProviderSimulator
from tests.resilience.text_calls import captured
from tests.resilience.voice_calls import settings_for, voice_call

pytestmark = pytest.mark.integration

FIRST, SECOND = "where is order ACME-1042", "where is order ACME-1043"


@pytest.fixture
async def sims() -> AsyncIterator[tuple[ProviderSimulator, ProviderSimulator]]:
    # Realistic provider delays: with none at all, a Realtime server answers before the
    # session has closed the caller's turn, an ordering no real service produces.
    async with (
        ProviderSimulator(script=acme_script()) as primary,
        ProviderSimulator(script=acme_script()) as backup,
    ):
        yield primary, backup


@pytest.mark.parametrize(
    ("mode", "stage", "first_answered"),
    [
        ("pipeline", "llm", True),  # bad JSON in the stream: the request is retried
        ("pipeline", "tts", True),  # bad JSON on the TTS socket: the sentence is resynthesized
        ("pipeline", "stt", False),  # a Results message without its channel: that turn is lost
        ("realtime", "realtime", True),  # an event missing its item id: skipped by the plugin
        ("realtime_text", "realtime", True),
    ],
)
async def test_a_malformed_message_never_ends_the_call(
    sims: tuple[ProviderSimulator, ProviderSimulator],
    tmp_path: Path,
    mode: str,
    stage: str,
    first_answered: bool,
) -> None:
    primary, backup = sims
    settings = settings_for(primary, backup, tmp_path, ACME_MODE=mode)
    with captured("livekit") as framework_logs, captured("acme") as logs:
        async with voice_call(settings, primary, backup) as call:
            closed: list[object] = []
            call.call.session.on("close", closed.append)
            primary.faults.inject(stage, "malformed")  # type: ignore[arg-type]
            first = await call.turn(FIRST, may_be_lost=not first_answered)
            second = await call.turn(SECOND)
            assert not closed, "the call is still up"
            errors = list(call.errors)

    assert primary.faults.fired(stage, "malformed") == 1  # type: ignore[arg-type]
    if first_answered:
        assert first.startswith("Order ACME-1042 shipped")
    assert second.startswith("Order ACME-1043 was delivered")
    assert all(e.error.recoverable for e in errors), "nothing the session had to give up on"

    skipped = {"stt": "failed to process deepgram message", "realtime": "failed to handle event"}
    if stage in skipped:  # the plugin itself logs and skips what it cannot read
        assert any(r.getMessage() == skipped[stage] for r in framework_logs)
    else:
        assert errors, "the bad message is reported as a recoverable provider error"
        warned = [r for r in logs if r.getMessage() == "provider error, call continues"]
        assert warned and all(r.recoverable for r in warned)  # type: ignore[attr-defined]
    if stage == "realtime":
        assert len(primary.received.realtime_sessions) == 1  # same socket, no reconnect
