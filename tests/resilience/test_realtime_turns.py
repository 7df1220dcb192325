"""Realtime modes answer every order question, whatever order the Realtime events arrive in.

The real Realtime API starts its response (and can finish the function call) as soon as its
server VAD commits the caller's turn; the caller's transcription arrives later, on its own. A
call must then run the tool and speak its answer every time: across provider latencies, with a
store that answers late, turn after turn. Caller speech is espeak-ng through the harness's
real-time microphone; the agent is wired by the product's own settings and call wiring.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from harness import (
    CallerSpeech,
    CallerTurn,
    CallRunner,
    CallSetup,
    PreparedCall,
    SimulatorUrls,
    Starter,
    TurnTimeout,
    run_call,
)
from harness.acme import prepare_acme
from harness.scenario import greet, lookup_order_when_mentioned
from simulators import (
    Latency,
    ProviderSimulator,
    Script,
    on_tool_result,
    on_user_says,
    speech_duration_s,
)
from tests.resilience.slow_store import SlowStore
from tools.support import SupportDesk

pytestmark = pytest.mark.integration

QUESTION_SPOKEN = "Check order ACME 1042."
QUESTION_HEARD = "Check order ACME-1042."
ANSWER = "It shipped."
POLICY_HEARD = "What is your return policy?"
POLICY = (
    "Most items can be returned within thirty days of delivery for a full refund. Items must "
    "be unused and in their original packaging, and we email you a prepaid label."
)
BARGE_IN_AFTER_S = 1.5
MAX_SILENT_TURNS = 3
# (seconds to the model's first output, seconds to the caller's transcript, store delay)
PROFILES = [(0.05, 0.6, 0.0), (0.3, 1.2, 0.4), (0.6, 0.3, 1.0), (0.15, 2.0, 0.2)]


@pytest.fixture
async def sim() -> AsyncIterator[ProviderSimulator]:
    script = Script(
        rules=[greet, on_tool_result("lookup_order").say(ANSWER), lookup_order_when_mentioned()]
    )
    async with ProviderSimulator(script=script, latency=Latency()) as simulator:
        yield simulator


def slow_store_starter(store: list[SlowStore]) -> Starter:
    """Our call, wired as the worker wires it, whose tools reach the store through `SlowStore`."""

    async def start(setup: CallSetup) -> PreparedCall:
        call = await prepare_acme(setup)
        slow = SlowStore(call.store)
        store.append(slow)
        call.session.userdata.desk = SupportDesk(store=slow)
        return call

    return start


@pytest.mark.parametrize(("mode", "turns"), [("realtime", 10), ("realtime_text", 6)])
async def test_every_order_question_gets_its_spoken_answer(
    mode: str,
    turns: int,
    sim: ProviderSimulator,
    say: Callable[[str], CallerSpeech],
    tmp_path: Path,
) -> None:
    question = await asyncio.to_thread(say, QUESTION_SPOKEN)
    stores: list[SlowStore] = []
    setup = CallSetup(
        mode=mode, urls=SimulatorUrls.of(sim), workdir=tmp_path, call_id=f"turns-{mode}"
    )
    unanswered: list[int] = []
    async with CallRunner(
        setup=setup,
        starter=slow_store_starter(stores),
        playout_speed=4.0,
        turn_timeout_s=12.0,
    ) as call:
        [store] = stores
        for index, (first_s, transcript_s, store_s) in zip(
            range(turns), itertools.cycle(PROFILES), strict=False
        ):
            sim.latency.realtime_first_audio_s = first_s
            sim.latency.realtime_transcript_s = transcript_s
            store.delay_s = store_s
            sim.script.hear(QUESTION_HEARD)
            try:
                turn = await call.turn(CallerTurn(speech=question))
            except TurnTimeout:  # the call went silent: stop after a few, each costs a timeout
                unanswered.append(index)
                if len(unanswered) >= MAX_SILENT_TURNS:
                    break
                continue
            looked_up = [c for c in turn.tool_calls if c["name"] == "lookup_order"]
            answered = [m for m in turn.assistant if m["text"] == ANSWER]
            if not (looked_up and answered and turn.reply_audio_s > 0):
                unanswered.append(index)

    assert unanswered == [], f"turns with no spoken answer after the lookup: {unanswered}"
    assert call.result is not None
    # every lookup reached the store and its answer was given to the model
    outputs = [r.output for r in sim.received.tool_results]
    assert len(outputs) == turns and all("ACME-1042" in o for o in outputs)
    records = call.result.transcript
    said = [r["text"] for r in records if r.get("role") == "assistant"]
    assert said.count(ANSWER) == turns
    tool_records = [r for r in records if r["type"] == "tool_call"]
    assert [json.loads(r["arguments"]) for r in tool_records] == [{"order_id": "ACME-1042"}] * turns


async def test_caller_talking_over_a_realtime_answer_stops_it(
    sim: ProviderSimulator, say: Callable[[str], CallerSpeech], tmp_path: Path
) -> None:
    """With no local VAD, the Realtime server's speech detection still barges in."""
    sim.script.rules.insert(0, on_user_says("return policy").say(POLICY))
    sim.script.hear(POLICY_HEARD, QUESTION_HEARD)
    policy, question = await asyncio.gather(
        asyncio.to_thread(say, POLICY_HEARD), asyncio.to_thread(say, QUESTION_SPOKEN)
    )
    result = await run_call(
        mode="realtime",
        turns=[
            CallerTurn(speech=policy),
            CallerTurn(speech=question, barge_in_after_s=BARGE_IN_AFTER_S),
        ],
        urls=SimulatorUrls.of(sim),
        workdir=tmp_path,
        call_id="realtime-barge-in",
        turn_timeout_s=20.0,
    )
    asked, interrupting = result.turns
    [stopped] = asked.assistant
    assert stopped["interrupted"] is True
    assert 0 < asked.reply_played_s < speech_duration_s(POLICY) / 2
    [answer] = interrupting.assistant
    assert answer["text"] == ANSWER and answer["interrupted"] is False
    # the client cut the model's copy of the answer where the caller stopped hearing it
    [session] = sim.received.realtime_sessions
    [cut] = [e for e in session.events if e["type"] == "conversation.item.truncate"]
    assert 0 < cut["audio_end_ms"] < speech_duration_s(POLICY) * 1000 / 2
