"""Fixtures for the voice end-to-end tests: caller speech, scripted simulators, the real store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from harness import CallerSpeech, SpeechToolsMissing, speak
from simulators import Conversation, Latency, ProviderSimulator, Reply, Script, on_tool_result
from simulators.script import ScriptedRule
from tools.models import Order
from tools.stores import open_store

GREETING = "Hi, this is Ava from Acme. How can I help?"
ORDER_QUESTION = "Please check order ACME 1042. Thank you."
ORDER_HEARD = "Please check order ACME-1042. Thank you."
"""What the simulated STT transcribes the order question as (spoken forms vary; typed is exact)."""
ORDER_ID = "ACME-1042"


def greet(conversation: Conversation) -> Reply | None:
    """The model's greeting: a reply requested before the caller has said anything."""
    if any(m.role in ("user", "tool") for m in conversation.messages):
        return None
    return Reply(text=GREETING)


def tracking_answer() -> ScriptedRule:
    """After lookup_order, the model answers with the carrier and tracking number it was given."""
    return on_tool_result(
        "lookup_order", r"shipped with (?P<carrier>\w+).*tracking number is (?P<tracking>\w+)"
    ).say(r"It shipped with \g<carrier>. The tracking number is \g<tracking>.")


def spoken_answer(order: Order) -> str:
    """The answer `tracking_answer` gives for a shipped order, from the store's own record."""
    return f"It shipped with {order.carrier}. The tracking number is {order.tracking_number}."


@pytest.fixture(scope="session")
def say(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], CallerSpeech]:
    """Caller speech for a sentence (espeak-ng, 24 kHz, 0.3 s of silence either side)."""
    directory = tmp_path_factory.mktemp("caller")

    def make(text: str) -> CallerSpeech:
        try:
            return speak(text, directory=directory)
        except SpeechToolsMissing as exc:
            pytest.skip(str(exc))

    return make


@pytest.fixture
async def sim() -> AsyncIterator[ProviderSimulator]:
    """Simulators with the default (realistic) latencies, greeting and tracking-answer rules."""
    script = Script(rules=[greet, tracking_answer()])
    async with ProviderSimulator(script=script, latency=Latency()) as simulator:
        yield simulator


async def stored_order(workdir: Path, order_id: str) -> Order:
    """The order as the call's own SQLite store holds it."""
    store = await open_store(f"sqlite:///{workdir / 'acme.db'}", seed=False)
    try:
        order = await store.get_order(order_id)
    finally:
        await store.close()
    assert order is not None, f"{order_id} missing from the store"
    return order
