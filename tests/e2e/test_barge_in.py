"""A caller who talks over a long answer stops it, and the transcript says it was cut short."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from harness import CallerSpeech, CallerTurn, SimulatorUrls, run_call
from simulators import ProviderSimulator, on_user_says, speech_duration_s

from .conftest import ORDER_HEARD, ORDER_ID, ORDER_SPOKEN, spoken_answer, stored_order

pytestmark = pytest.mark.integration

POLICY_QUESTION = "What is your return policy? Thank you."
POLICY = (
    "Most items can be returned within thirty days of delivery for a full refund. "
    "Items must be unused and in their original packaging. Start a return by phone and we "
    "email you a prepaid label. Refunds reach your card within five business days after we "
    "receive the item. Final sale items and gift cards cannot be returned."
)
BARGE_IN_AFTER_S = 2.0


async def test_caller_barging_in_stops_the_answer_and_is_answered_next(
    sim: ProviderSimulator, say: Callable[[str], CallerSpeech], tmp_path: Path
) -> None:
    sim.script.rules.insert(0, on_user_says("return policy").say(POLICY))
    sim.script.hear(POLICY_QUESTION, ORDER_HEARD)
    result = await asyncio.wait_for(
        run_call(
            mode="pipeline",
            turns=[
                CallerTurn(speech=say(POLICY_QUESTION)),
                CallerTurn(speech=say(ORDER_SPOKEN), barge_in_after_s=BARGE_IN_AFTER_S),
            ],
            urls=SimulatorUrls.of(sim),
            workdir=tmp_path,
            call_id="e2e-barge-in",
        ),
        120,
    )
    asked, interrupting = result.turns

    # the long answer started, then its audio was cleared while playing
    assert asked.first_audio_at is not None
    cut = [s for s in result.segments if asked.started_at <= s.started_at < interrupting.started_at]
    assert cut and cut[-1].interrupted and cut[-1].cleared_at is not None
    assert cut[-1].cleared_at > interrupting.started_at
    assert 0 < asked.reply_played_s < speech_duration_s(POLICY) / 2
    assert asked.reply_played_s < asked.reply_audio_s or asked.reply_audio_s < speech_duration_s(
        POLICY
    )

    # the framework marked the spoken answer interrupted, keeping only what was heard
    [stopped] = asked.assistant
    assert stopped["interrupted"] is True
    assert 0 < len(stopped["text"]) < len(POLICY)
    assert POLICY.startswith(stopped["text"].rstrip(". "))
    caption = result.captions[1][1]  # what the caller's screen showed of it
    assert 0 < len(caption) < len(POLICY) and POLICY.startswith(caption.strip())

    # and the caller's new question was answered in full
    order = await stored_order(tmp_path, ORDER_ID)
    assert interrupting.user_texts == [ORDER_HEARD]
    # looked up before the model asked (agent/order_prefetch.py), so no tool call of its own
    assert interrupting.tool_calls == []
    assert {r.name for r in sim.received.tool_results} == {"lookup_order"}
    [answer] = interrupting.assistant
    assert answer["text"] == spoken_answer(order) and answer["interrupted"] is False
    assert not interrupting.interrupted

    # the transcript file records the cut-short answer as such
    messages = [r for r in result.transcript if r["type"] == "message"]
    assert [(m["role"], m["interrupted"]) for m in messages] == [
        ("assistant", False),
        ("user", False),
        ("assistant", True),
        ("user", False),
        ("assistant", False),
    ]
    assert messages[2]["text"] == stopped["text"]
    assert messages[4]["text"] == spoken_answer(order)
