"""A caller's turn that hangs is recovered: the caller hears the reply, or an apology.

Each test injects one kind of hang below the product (a Realtime model that never answers a
tool's output, a chat model that never answers, the framework dropping the reply) and shows
what the caller then hears, and that the recovery is in the call's records.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from livekit.agents.voice.events import ConversationItemAddedEvent

from agent.behaviors.reply_guard import APOLOGY, EVENT_KIND
from harness import CallerSpeech, CallerTurn, CallResult, CallRunner, SimulatorUrls
from harness.call_setup import CallSetup
from harness.scenario import NO_TOOL_ANSWER, NO_TOOL_QUESTION
from simulators import ProviderSimulator, on_user_says
from tools.call_records import open_call_records

from .conftest import ORDER_HEARD, ORDER_ID, ORDER_SPOKEN, spoken_answer, stored_order

pytestmark = pytest.mark.integration

GUARD_S = 2.0
CALL_TIMEOUT_S = 90


def _setup(mode: str, sim: ProviderSimulator, workdir: Path) -> CallSetup:
    return CallSetup(
        mode=mode,
        urls=SimulatorUrls.of(sim),
        workdir=workdir,
        call_id=f"guard-{uuid.uuid4().hex[:8]}",
        environ={"ACME_REPLY_GUARD_S": str(GUARD_S)},
    )


def _spool(result: CallResult) -> list[dict[str, Any]]:
    assert result.transcript_path is not None
    lines = result.transcript_path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


async def _recorded_events(workdir: Path, call_id: str) -> list[tuple[str, str]]:
    """(kind, detail) of the call's events in the call records database."""
    records = open_call_records(f"sqlite:///{workdir / 'acme.db'}")
    try:
        detail = await records.call(call_id)
    finally:
        await records.close()
    assert detail is not None
    return [(e.kind, e.detail) for e in detail.events if e.kind == EVENT_KIND]


async def _one_turn(
    setup: CallSetup,
    speech: CallerSpeech,
    *,
    before: Callable[[CallRunner], None],
) -> CallResult:
    runner = CallRunner(setup=setup, turn_timeout_s=30.0)
    async with runner:
        before(runner)
        await runner.turn(CallerTurn(speech=speech))
    assert runner.result is not None
    return runner.result


def _guard_summary(result: CallResult) -> int:
    [summary] = [r for r in _spool(result) if r["type"] == "summary"]
    return int(summary["events"].get(EVENT_KIND, 0))


@pytest.mark.parametrize("mode", ["realtime", "realtime_text"])
async def test_realtime_model_silent_after_a_tool_is_asked_again(
    mode: str, sim: ProviderSimulator, say: Callable[[str], CallerSpeech], tmp_path: Path
) -> None:
    sim.script.hear(ORDER_HEARD)
    setup = _setup(mode, sim, tmp_path)
    # after the greeting: the model ignores the request to answer the tool's output
    result = await asyncio.wait_for(
        _one_turn(
            setup,
            say(ORDER_SPOKEN),
            before=lambda _: sim.faults.inject("realtime", "response_ignored"),
        ),
        CALL_TIMEOUT_S,
    )
    assert sim.faults.fired("realtime", "response_ignored") == 1
    [turn] = result.turns
    assert [c["name"] for c in turn.tool_calls] == ["lookup_order"]
    order = await stored_order(tmp_path, ORDER_ID)
    # the model's "Let me pull up ..." before its tool call, then the answer asked again
    assert [m["text"] for m in turn.assistant][-1] == spoken_answer(order)
    assert turn.first_audio_at is not None and turn.reply_played_s > 0
    assert await _recorded_events(tmp_path, setup.call_id) == [
        (EVENT_KIND, "no reply heard, reply asked again")
    ]
    assert _guard_summary(result) == 1


async def test_stalled_chat_model_without_fallback_ends_in_an_apology(
    sim: ProviderSimulator, say: Callable[[str], CallerSpeech], tmp_path: Path
) -> None:
    sim.script.hear(NO_TOOL_QUESTION.heard)
    setup = _setup("pipeline", sim, tmp_path)
    # every request hangs: the reply's, the framework's retries, the guard's second one
    result = await asyncio.wait_for(
        _one_turn(
            setup,
            say(NO_TOOL_QUESTION.spoken),
            before=lambda _: sim.faults.inject("llm", "stall", times=20),
        ),
        CALL_TIMEOUT_S,
    )
    assert sim.faults.fired("llm", "stall") >= 2
    [turn] = result.turns
    assert turn.user_texts == [NO_TOOL_QUESTION.heard]
    assert [m["text"] for m in turn.assistant] == [APOLOGY]
    assert turn.reply_played_s > 0
    assert await _recorded_events(tmp_path, setup.call_id) == [
        (EVENT_KIND, "no reply heard, reply asked again"),
        (EVENT_KIND, "no reply heard again, apologized"),
    ]
    assert _guard_summary(result) == 2


async def test_reply_dropped_by_the_framework_is_asked_again(
    sim: ProviderSimulator, say: Callable[[str], CallerSpeech], tmp_path: Path
) -> None:
    sim.script.hear(NO_TOOL_QUESTION.heard)
    setup = _setup("pipeline", sim, tmp_path)
    dropped: list[str] = []

    def drop_first_reply(runner: CallRunner) -> None:
        def on_item(ev: ConversationItemAddedEvent) -> None:
            # the caller's words are kept as their reply starts: cancel it, nothing follows
            speech = runner.session.current_speech
            if not dropped and ev.item.type == "message" and ev.item.role == "user" and speech:
                dropped.append(speech.id)
                speech.interrupt(force=True)

        runner.session.on("conversation_item_added", on_item)

    result = await asyncio.wait_for(
        _one_turn(setup, say(NO_TOOL_QUESTION.spoken), before=drop_first_reply), CALL_TIMEOUT_S
    )
    assert len(dropped) == 1
    [turn] = result.turns
    assert [m["text"] for m in turn.assistant] == [NO_TOOL_ANSWER]
    assert turn.reply_played_s > 0
    assert await _recorded_events(tmp_path, setup.call_id) == [
        (EVENT_KIND, "no reply heard, reply asked again")
    ]


async def test_normal_turns_and_a_barge_in_never_trigger_it(
    sim: ProviderSimulator, say: Callable[[str], CallerSpeech], tmp_path: Path
) -> None:
    sim.script.rules.insert(0, on_user_says("return policy").say(" ".join([NO_TOOL_ANSWER] * 4)))
    sim.script.hear(ORDER_HEARD, NO_TOOL_QUESTION.heard, ORDER_HEARD)
    setup = _setup("pipeline", sim, tmp_path)
    runner = CallRunner(setup=setup, turn_timeout_s=30.0)
    async with runner:
        await runner.turn(CallerTurn(speech=say(ORDER_SPOKEN)))
        await runner.turn(
            CallerTurn(speech=say(NO_TOOL_QUESTION.spoken)), next_barges_in_after_s=1.5
        )
        await runner.turn(CallerTurn(speech=say(ORDER_SPOKEN), barge_in_after_s=1.5))
        # the next turn starts only after the agent has listened for longer than the guard waits
        await asyncio.wait_for(_quiet_for(runner, GUARD_S * 2), 30)
    result = runner.result
    assert result is not None
    cut = result.turns[1].assistant
    assert cut and cut[-1]["interrupted"] is True
    order = await stored_order(tmp_path, ORDER_ID)
    assert [m["text"] for m in result.turns[0].assistant] == [spoken_answer(order)]
    assert [m["text"] for m in result.turns[2].assistant] == [spoken_answer(order)]
    assert await _recorded_events(tmp_path, setup.call_id) == []
    assert _guard_summary(result) == 0
    assert not any(APOLOGY in str(r.get("text")) for r in result.transcript)


async def _quiet_for(runner: CallRunner, seconds: float) -> None:
    """Until the agent has said nothing for `seconds`: its loudspeaker idle, and no playback
    started within that time (each one that starts begins the wait again)."""
    speaker = runner.speaker
    started = asyncio.Event()
    speaker.on("playback_started", lambda _ev: started.set())
    while True:
        await speaker.wait_idle()
        started.clear()
        if speaker.playing:
            continue
        try:
            await asyncio.wait_for(started.wait(), seconds)
        except TimeoutError:
            return
