"""The load bench's call plan and start gate."""

from __future__ import annotations

import asyncio

import pytest

from bench.load_run import Gate, call_plan
from harness.scenario import ORDER_QUESTION

pytestmark = pytest.mark.unit


def test_every_turn_asks_for_an_order_and_rounds_repeat_the_plan() -> None:
    assert call_plan(3) == [ORDER_QUESTION] * 3
    assert call_plan(3, rounds=4) == call_plan(3) * 4


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
