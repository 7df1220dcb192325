"""A slow order lookup is covered by a short filler the caller hears; a fast one is not.

The call's tools reach the real store through `SlowStore` (a delay in front of it), so the
lookup takes as long as a struggling database would, in every mode.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from agent.behaviors.tool_filler import FILLER
from harness import CallerSpeech, CallerTurn, CallResult, CallRunner, SimulatorUrls
from harness.call_setup import CallSetup
from simulators import ProviderSimulator
from tests.resilience.slow_store import SlowStore, slowed_acme

from .conftest import ORDER_HEARD, ORDER_ID, ORDER_SPOKEN, spoken_answer, stored_order

pytestmark = pytest.mark.integration

CALL_TIMEOUT_S = 90


async def _order_call(
    mode: str, delay_s: float, sim: ProviderSimulator, speech: CallerSpeech, workdir: Path
) -> tuple[CallResult, SlowStore]:
    sim.script.hear(ORDER_HEARD)
    stores: list[SlowStore] = []
    setup = CallSetup(
        mode=mode, urls=SimulatorUrls.of(sim), workdir=workdir, call_id=f"filler-{uuid.uuid4()}"
    )
    runner = CallRunner(setup=setup, starter=slowed_acme(delay_s, stores), turn_timeout_s=30.0)
    async with runner:
        await runner.turn(CallerTurn(speech=speech))
    assert runner.result is not None
    return runner.result, stores[0]


@pytest.mark.parametrize("mode", ["pipeline", "realtime", "realtime_text"])
async def test_slow_lookup_is_covered_by_a_filler_then_answered(
    mode: str, sim: ProviderSimulator, say: Callable[[str], CallerSpeech], tmp_path: Path
) -> None:
    result, store = await asyncio.wait_for(
        _order_call(mode, 4.0, sim, say(ORDER_SPOKEN), tmp_path), CALL_TIMEOUT_S
    )
    [turn] = result.turns
    [returned_at] = store.orders_returned_at
    heard = [s for s in result.segments if s.started_at >= turn.speech_end_at and s.played_s > 0]
    # the model's "Let me pull up ..." first, then a filler while the store is still looking
    # (after the preamble has finished, not over it), then the answer once the store returned
    assert len(heard) == len(turn.assistant) + 1  # the filler is the one segment not in the chat
    *before, filler, answer = heard
    assert filler.started_at < returned_at < answer.started_at
    assert all(s.finished_at is not None and s.finished_at <= filler.started_at for s in before)
    assert filler.finished_at is not None and filler.played_s > 0.5
    order = await stored_order(tmp_path, ORDER_ID)
    assert [m["text"] for m in turn.assistant][-1] == spoken_answer(order)
    # the filler stays out of the conversation the model and the records see
    assert all(FILLER not in str(r.get("text")) for r in result.transcript)
    spoken = [text for _, text in result.captions]
    assert (FILLER in spoken) == (mode != "realtime")


async def test_fast_lookup_gets_no_filler(
    sim: ProviderSimulator, say: Callable[[str], CallerSpeech], tmp_path: Path
) -> None:
    result, store = await asyncio.wait_for(
        _order_call("pipeline", 0.2, sim, say(ORDER_SPOKEN), tmp_path), CALL_TIMEOUT_S
    )
    [turn] = result.turns
    heard = [s for s in result.segments if s.started_at >= turn.speech_end_at and s.played_s > 0]
    assert len(heard) == 1 and heard[0].started_at > store.orders_returned_at[0]
    assert all(FILLER not in text for _, text in result.captions)
