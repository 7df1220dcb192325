"""The chat model fails mid-call: the fallback model answers, and the primary comes back.

Text turns through the session the product builds (`build_session` with a [fallback] LLM), the
real openai.LLM plugins, the primary on one simulator and the fallback model on another.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from livekit.agents import AgentSession, APIError, llm, utils

from agent.acme_agent import AcmeAgent, CallState
from agent.prompts import load_prompt
from agent.session_factory import build_session
from harness.scenario import acme_script
from simulators import Latency, ProviderSimulator
from simulators.script import DEFAULT_ANSWER
from tests.resilience.text_calls import captured, turn_of
from tests.resilience.voice_calls import settings_for
from tools.store import OrderStore
from tools.stores import open_store
from tools.support import SupportDesk

pytestmark = pytest.mark.integration


@pytest.fixture
async def sims() -> AsyncIterator[tuple[ProviderSimulator, ProviderSimulator]]:
    async with (
        ProviderSimulator(script=acme_script(), latency=Latency.instant()) as primary,
        ProviderSimulator(script=acme_script(), latency=Latency.instant()) as backup,
        utils.http_context.open(),
    ):
        yield primary, backup


async def greeted(session: AgentSession[CallState]) -> None:
    """Until the greeting was said (faults injected before would hit it instead)."""
    for _ in range(200):
        if any(getattr(i, "role", "") == "assistant" for i in session.history.items):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no greeting")


def call_state(store: OrderStore) -> CallState:
    return CallState(desk=SupportDesk(store=store))


async def wait_for_message(records: list[logging.LogRecord], message: str) -> bool:
    for _ in range(100):
        if any(r.getMessage() == message for r in records):
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.mark.parametrize(
    ("fault", "question", "reply_starts"),
    [
        ("http_500", "where is order ACME-1042", "Order ACME-1042 shipped"),
        ("http_429", "where is order ACME-1042", "Order ACME-1042 shipped"),
        ("stall", "where is order ACME-1042", "Order ACME-1042 shipped"),
        ("malformed", "where is order ACME-1042", "Order ACME-1042 shipped"),
        # Cut while streaming a tool call: nothing was said yet, so the fallback redoes it.
        ("close_mid_stream", "where is order ACME-1042", "Order ACME-1042 shipped"),
    ],
)
async def test_fallback_model_answers_the_turn(
    sims: tuple[ProviderSimulator, ProviderSimulator],
    tmp_path: Path,
    fault: str,
    question: str,
    reply_starts: str,
) -> None:
    primary, backup = sims
    settings = settings_for(primary, backup, tmp_path, ACME_FALLBACK_LLM_MODEL="gpt-4o-mini")
    store = await open_store(f"sqlite:///{tmp_path}/acme.db", seed=True)
    session = build_session(settings, vad_model=None, userdata=call_state(store))
    closed = []
    session.on("close", closed.append)
    try:
        with captured("acme.providers") as logs:
            async with session:
                agent = AcmeAgent(
                    instructions=load_prompt("support"), greeting=load_prompt("greeting")
                )
                await session.start(agent)
                await greeted(session)
                primary.faults.inject("llm", fault)  # type: ignore[arg-type]
                first = turn_of(await session.run(user_input=question))
                second = turn_of(await session.run(user_input="where is order ACME-1043"))
                # The primary is probed in the background and takes the next turns again.
                assert await wait_for_message(logs, "provider recovered")
                served_before = len(primary.received.llm_requests)
                third = turn_of(await session.run(user_input="where is order ACME-1047"))
                assert len(primary.received.llm_requests) > served_before
                assert not closed, "the call is still up"
    finally:
        await store.close()

    assert primary.faults.fired("llm", fault) == 1  # type: ignore[arg-type]
    assert [r["model"] for r in backup.received.llm_requests][:1] == ["gpt-4o-mini"]
    assert first.replies and first.replies[-1].startswith(reply_starts)
    assert second.replies[-1].startswith("Order ACME-1043 was delivered")
    assert third.replies[-1].startswith("Order ACME-1047 is out for delivery")

    switched = [r for r in logs if r.getMessage() == "provider failed, using fallback"]
    recovered = [r for r in logs if r.getMessage() == "provider recovered"]
    assert [(r.stage, r.model) for r in switched] == [("llm", "gpt-4.1-mini")]  # type: ignore[attr-defined]
    assert [(r.stage, r.model) for r in recovered] == [("llm", "gpt-4.1-mini")]  # type: ignore[attr-defined]
    for record in logs:
        assert not record.args


async def test_both_models_down_loses_one_turn_not_the_call(
    sims: tuple[ProviderSimulator, ProviderSimulator], tmp_path: Path
) -> None:
    primary, backup = sims
    settings = settings_for(primary, backup, tmp_path, ACME_FALLBACK_LLM_MODEL="gpt-4o-mini")
    store = await open_store(f"sqlite:///{tmp_path}/acme.db", seed=True)
    session = build_session(settings, vad_model=None, userdata=call_state(store))
    errors: list[object] = []
    closed: list[object] = []
    session.on("error", errors.append)
    session.on("close", closed.append)
    try:
        with captured("acme.providers") as logs:
            async with session:
                agent = AcmeAgent(
                    instructions=load_prompt("support"), greeting=load_prompt("greeting")
                )
                await session.start(agent)
                await greeted(session)
                # Both fail for the whole turn (its retry of the chain and the primary's
                # background probes included), then come back.
                primary.faults.inject("llm", "http_500", times=50)
                backup.faults.inject("llm", "http_500", times=50)
                with pytest.raises(APIError):  # the turn's run reports its lost answer
                    await session.run(user_input="where is order ACME-1042")
                primary.faults.clear()
                backup.faults.clear()
                answered = turn_of(await session.run(user_input="where is order ACME-1043"))
                assert not closed, "the call is still up"
    finally:
        await store.close()

    replies = [i for i in session.history.items if getattr(i, "role", "") == "assistant"]
    assert len(replies) == 2  # the greeting and the second turn's answer: one turn lost
    assert answered.replies[-1].startswith("Order ACME-1043 was delivered")
    assert errors, "the lost turn is reported as a session error"
    provider_errors = [r for r in logs if r.getMessage().startswith("provider error")]
    assert provider_errors and all(getattr(r, "kind", "") == "llm_error" for r in provider_errors)


async def test_answer_cut_mid_sentence_loses_only_that_turn(
    sims: tuple[ProviderSimulator, ProviderSimulator], tmp_path: Path
) -> None:
    """Words already spoken are not said again by another model: that answer stays cut."""
    primary, backup = sims
    settings = settings_for(primary, backup, tmp_path, ACME_FALLBACK_LLM_MODEL="gpt-4o-mini")
    store = await open_store(f"sqlite:///{tmp_path}/acme.db", seed=True)
    session = build_session(settings, vad_model=None, userdata=call_state(store))
    closed: list[object] = []
    session.on("close", closed.append)
    try:
        with captured("acme.providers") as logs:
            async with session:
                agent = AcmeAgent(
                    instructions=load_prompt("support"), greeting=load_prompt("greeting")
                )
                await session.start(agent)
                await greeted(session)
                primary.faults.inject("llm", "close_mid_stream")
                with pytest.raises(APIError):
                    await session.run(user_input="hello, who am I talking to?")
                answered = turn_of(await session.run(user_input="where is order ACME-1043"))
                assert await wait_for_message(logs, "provider recovered")
                assert not closed, "the call is still up"
    finally:
        await store.close()

    replies = [
        i.text_content or ""
        for i in session.history.items
        if isinstance(i, llm.ChatMessage) and i.role == "assistant"
    ]
    cut = replies[1]
    assert cut and DEFAULT_ANSWER.startswith(cut.strip()) and cut.strip() != DEFAULT_ANSWER
    assert answered.replies[-1].startswith("Order ACME-1043 was delivered")
    assert [r.getMessage() for r in logs if r.levelno >= logging.ERROR] == ["provider error"]
