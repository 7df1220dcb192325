"""Providers misbehaving the way the real ones do, in voice calls wired as the worker wires them.

Each fault hits one caller turn. The call goes on: at most that turn is lost, and when it is,
the caller hears a short apology rather than silence; the log names the provider and the failure
in one line. No fallbacks here: each provider's own misbehaviour is met by the call alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from agent.behaviors.provider_errors import APOLOGY
from harness import CallerSpeech, CallerTurn, CallRunner, CallSetup, SimulatorUrls
from harness.scenario import acme_script, benchmark_latency
from simulators import FaultKind, Latency, ProviderSimulator, Stage, on_user_says
from simulators.chat_checks import prompt_tokens
from simulators.script import DEFAULT_ANSWER
from tests.resilience.text_calls import captured
from tests.resilience.voice_calls import VoiceCall, settings_for, voice_call

pytestmark = pytest.mark.integration

ASK = "where is order ACME-1042"
ANSWER = "Order ACME-1042 shipped"
POLICY = "what is your return policy"
DEEPGRAM = "livekit.plugins.deepgram.stt.STT"
OPENAI_LLM = "livekit.plugins.openai.llm.LLM"
LONG_ANSWER = (
    "Most items can be returned within thirty days of delivery for a full refund, as long as "
    "they are unused and in their original packaging."
)


@pytest.fixture
async def sims() -> AsyncIterator[tuple[ProviderSimulator, ProviderSimulator]]:
    async with (
        ProviderSimulator(script=acme_script(), latency=Latency.instant()) as primary,
        ProviderSimulator(script=acme_script(), latency=Latency.instant()) as backup,
    ):
        yield primary, backup


def errors_logged(logs: list[logging.LogRecord]) -> list[tuple[str, str]]:
    """(provider, failure) of each provider error line."""
    return [
        (str(getattr(r, "provider", "")), str(getattr(r, "failure", "")))
        for r in logs
        if r.getMessage() in ("provider error", "provider error, call continues")
    ]


async def faulty_turn(
    call: VoiceCall, sim: ProviderSimulator, stage: Stage, kind: FaultKind
) -> str:
    """Ask with `kind` armed for every request of the turn (preemptive generation makes
    several), then disarm it."""
    sim.faults.inject(stage, kind, times=3)
    heard = await call.turn(POLICY)
    sim.faults.clear()
    return heard


async def test_chat_model_misbehaviour_costs_at_most_the_turn(
    sims: tuple[ProviderSimulator, ProviderSimulator], tmp_path: Path
) -> None:
    primary, backup = sims
    settings = settings_for(primary, backup, tmp_path)
    with captured("acme") as logs:
        async with voice_call(settings, primary, backup) as call:
            refused = await faulty_turn(call, primary, "llm", "refusal")
            cut = [await faulty_turn(call, primary, "llm", k) for k in ("length", "content_filter")]
            broken = await faulty_turn(call, primary, "llm", "error_mid_stream")
            assert (await call.turn(ASK)).startswith(ANSWER)  # the call goes on
            assert call.call.session.agent_state == "listening"

    assert refused == APOLOGY  # a refusal has no words to speak: not silence
    # what the model said before it was stopped (length, content filter) is spoken
    for text in cut:
        assert 0 < len(text) < len(DEFAULT_ANSWER) and DEFAULT_ANSWER.startswith(text)
    assert broken == APOLOGY or DEFAULT_ANSWER.startswith(broken)
    assert errors_logged(logs) and set(errors_logged(logs)) == {(OPENAI_LLM, "connection lost")}


async def test_a_conversation_too_long_for_the_model_is_trimmed_and_goes_on(
    sims: tuple[ProviderSimulator, ProviderSimulator], tmp_path: Path
) -> None:
    primary, backup = sims
    settings = settings_for(primary, backup, tmp_path)
    with captured("acme") as logs:
        async with voice_call(settings, primary, backup) as call:
            sizes = []
            for _ in range(3):
                assert (await call.turn(ASK)).startswith(ANSWER)
                sizes.append(max(prompt_tokens(r) for r in primary.received.llm_requests))
            # a turn adds `grows` tokens: the next one overflows the window, and once the
            # oldest half of the history is gone, turns fit again
            grows = sizes[-1] - sizes[-2]
            primary.behaviour.llm_context_tokens = sizes[-1] + grows * 3 // 4
            seen = len(primary.received.llm_requests)
            longest = max(len(r["messages"]) for r in primary.received.llm_requests)
            overflowed = await call.turn(ASK)
            after = await call.turn(ASK)

    # an early (preemptive) request may meet the limit and trim it before the turn's own request
    assert overflowed == APOLOGY or overflowed.startswith(ANSWER)
    assert after.startswith(ANSWER)
    assert (OPENAI_LLM, "HTTP 400 context_length_exceeded") in errors_logged(logs)
    assert any(r.getMessage().startswith("conversation too long") for r in logs)
    later = [r["messages"] for r in primary.received.llm_requests[seen:]]
    assert all(m[0]["role"] in ("system", "developer") for m in later)  # instructions stay
    assert min(len(m) for m in later) < longest  # the oldest turns are gone


async def test_speech_recognition_misbehaviour_costs_at_most_the_turn(
    sims: tuple[ProviderSimulator, ProviderSimulator], tmp_path: Path
) -> None:
    primary, backup = sims
    settings = settings_for(primary, backup, tmp_path)
    primary.behaviour.deepgram.idle_timeout_s = 1.5  # shorter than the plugin's 5 s keepalive
    with captured("acme") as logs:
        async with voice_call(settings, primary, backup) as call:
            await call.mic.mute(2.5)  # no audio: Deepgram closes the idle socket
            first = await call.turn(ASK, may_be_lost=True)
            second = await call.turn(ASK)
            assert call.call.session.agent_state == "listening"

    assert first == "" or first.startswith(ANSWER)
    assert second.startswith(ANSWER)
    assert "<idle timeout>" in primary.received.stt_streams[0].control
    assert len(primary.received.stt_streams) >= 2  # the plugin opened a new stream
    assert (DEEPGRAM, "closed 1011") in errors_logged(logs)


async def test_a_failing_speech_context_is_spoken_again(
    sims: tuple[ProviderSimulator, ProviderSimulator], tmp_path: Path
) -> None:
    """Cartesia fails the answer's context: the failed attempt is logged in one line naming
    Cartesia (an error, or a timeout at `fallback.tts_timeout` when the plugin keeps waiting
    for the context, not the framework's 10 s), then the answer is said again."""
    primary, backup = sims
    settings = settings_for(primary, backup, tmp_path)
    with captured("acme") as logs:
        async with voice_call(settings, primary, backup) as call:
            primary.faults.inject("tts", "context_error")
            answer = await call.turn(ASK)
            later = await call.turn(ASK)

    assert answer.startswith(ANSWER) and later.startswith(ANSWER)
    assert primary.faults.fired("tts", "context_error") == 1
    said = dict(zip(call.replies, call.speaker.segments, strict=False))
    assert said[answer] > 0  # the whole answer was heard after the retry
    [(provider, failure)] = errors_logged(logs)
    assert provider == "livekit.plugins.cartesia.tts.TTS" and failure in ("timeout", "APIError")


async def test_a_noise_heard_as_speech_start_does_not_cut_the_agent_off(
    say: Callable[[str], CallerSpeech], tmp_path: Path
) -> None:
    """Deepgram sends SpeechStarted for a cough or a door and no words after it: the answer
    being played goes on (the caller's own VAD heard nothing), and the call with it."""
    script = acme_script()
    script.rules.insert(0, on_user_says("return policy").say(LONG_ANSWER))
    policy, question = await asyncio.gather(
        asyncio.to_thread(say, "What is your return policy?"),
        asyncio.to_thread(say, "Check order ACME 1042."),
    )

    async def noisy_call() -> tuple[ProviderSimulator, CallRunner]:
        async with ProviderSimulator(script=script, latency=benchmark_latency()) as sim:
            sim.script.hear("What is your return policy?", "Check order ACME-1042.")
            setup = CallSetup(
                mode="pipeline", urls=SimulatorUrls.of(sim), workdir=tmp_path, call_id="noise"
            )
            async with CallRunner(setup=setup, playout_speed=2.0) as call:
                await call.turn(CallerTurn(speech=policy), next_barges_in_after_s=1.0)
                sim.faults.inject("stt", "noise")  # while the answer plays
                await call.turn(CallerTurn(speech=question))
        return sim, call

    # bounded: a call that never finishes fails here instead of holding the suite
    sim, call = await asyncio.wait_for(noisy_call(), 120)
    assert call.result is not None
    answered, asked = call.result.turns
    assert sim.faults.fired("stt", "noise") == 1
    [reply] = answered.assistant
    assert reply["text"] == LONG_ANSWER and reply["interrupted"] is False
    assert not answered.interrupted
    # the order was looked up before the model asked (agent/order_prefetch.py)
    assert asked.tool_calls == [] and asked.assistant
    assert {r.name for r in sim.received.tool_results} == {"lookup_order"}
