"""Fixtures for the voice end-to-end tests: caller speech, scripted simulators, the real store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from harness import CallerSpeech, SpeechToolsMissing, speak
from harness.scenario import GREETING, ORDER_QUESTION, benchmark_latency, support_script
from simulators import Behaviour, DeepgramBehaviour, ProviderSimulator, RealtimeBehaviour
from tools.models import Order
from tools.stores import open_store

__all__ = ["GREETING", "ORDER_HEARD", "ORDER_ID", "ORDER_SPOKEN"]

ORDER_SPOKEN = ORDER_QUESTION.spoken
ORDER_HEARD = ORDER_QUESTION.heard
"""What the simulated STT transcribes the order question as (spoken forms vary; typed is exact)."""
ORDER_ID = "ACME-1042"


def spoken_answer(order: Order) -> str:
    """The answer the script gives after lookup_order for a shipped order, from the store."""
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
    """Simulators with the benchmarks' latencies and script (greeting, tracking answers)."""
    # The Realtime caller transcript arrives before the response here, so records are written in
    # speaking order; with the real API's order (tests/resilience/test_realtime_turns.py) the
    # transcript file receives the caller's words after the tool call.
    behaviour = Behaviour(
        realtime=RealtimeBehaviour(transcript_before_response=True),
        deepgram=DeepgramBehaviour(finals_in_pieces=True),
    )
    async with ProviderSimulator(
        script=support_script(), latency=benchmark_latency(), behaviour=behaviour
    ) as simulator:
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
