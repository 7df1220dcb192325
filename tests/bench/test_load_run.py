"""The load bench's call plan and start gate."""

from __future__ import annotations

import asyncio

import pytest

from bench.load_run import Gate, call_plan
from harness.scenario import NO_TOOL_QUESTION, ORDER_QUESTION

pytestmark = pytest.mark.unit


def test_a_longer_reference_call_keeps_the_per_call_mix_of_questions() -> None:
    assert call_plan(3) == [ORDER_QUESTION, NO_TOOL_QUESTION, ORDER_QUESTION]
    reference = call_plan(3, rounds=4)
    assert len(reference) == 12
    assert reference.count(NO_TOOL_QUESTION) / len(reference) == pytest.approx(1 / 3)
    assert reference[3:6] == call_plan(3)


async def test_the_gate_opens_only_once_every_call_has_arrived() -> None:
    gate = Gate(2)
    waiter = asyncio.create_task(gate.wait())
    gate.arrive()
    await asyncio.sleep(0)
    assert not waiter.done()
    gate.arrive()
    await asyncio.wait_for(waiter, 1)
    assert gate.opened_at > 0


async def test_a_gate_for_no_calls_is_open() -> None:
    await asyncio.wait_for(Gate(0).wait(), 1)
