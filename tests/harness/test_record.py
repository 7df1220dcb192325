"""Turn results: which events and audio belong to which caller turn, barge-ins included."""

from __future__ import annotations

import pytest

from harness import AgentSegment, EventLog, TurnResult
from harness.record import turn_result

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _message(log: EventLog, clock: Clock, t: float, role: str, text: str, **kw: object) -> None:
    clock.now = t
    log.add(
        "message",
        role=role,
        text=text,
        interrupted=kw.get("interrupted", False),
        metrics=kw.get("metrics", {}),
    )


def test_an_answer_cut_short_by_the_next_turn_stays_with_the_turn_it_answered() -> None:
    clock = Clock()
    log = EventLog(clock=clock)
    # turn 0 spoken 1.0-3.0; its answer plays from 3.5; turn 1 starts at 5.0 and cuts it
    _message(log, clock, 3.2, "user", "what is your policy", metrics={"end_of_turn_delay": 0.4})
    clock.now = 3.3
    log.add("agent_state", old="listening", new="thinking")
    clock.now = 3.5
    log.add("agent_state", old="thinking", new="speaking")
    clock.now = 5.6
    log.add("agent_state", old="speaking", new="listening")
    _message(
        log, clock, 5.6, "assistant", "Most items", interrupted=True, metrics={"e2e_latency": 0.5}
    )
    _message(log, clock, 7.2, "user", "where is my order")
    clock.now = 7.3
    log.add("tool_call", name="lookup_order", arguments="{}", output="shipped", is_error=False)
    _message(log, clock, 8.0, "assistant", "It shipped.", metrics={"e2e_latency": 0.9})
    segments = [
        AgentSegment(started_at=3.5, pushed_s=9.0, played_s=2.1, interrupted=True),
        AgentSegment(started_at=7.9, pushed_s=1.0, played_s=1.0),
    ]

    first = turn_result(
        index=0,
        text="q0",
        started_at=1.0,
        speech_end_at=3.0,
        next_started_at=5.0,
        next_speech_end_at=7.0,
        log=log,
        segments=segments,
    )
    second = turn_result(
        index=1,
        text="q1",
        started_at=5.0,
        speech_end_at=7.0,
        next_started_at=None,
        next_speech_end_at=None,
        log=log,
        segments=segments,
    )

    assert first.user_texts == ["what is your policy"]
    assert first.user_metrics == {"end_of_turn_delay": 0.4}
    assert [a["text"] for a in first.assistant] == ["Most items"]
    assert first.assistant[0]["interrupted"] and first.interrupted
    assert first.first_audio_at == 3.5 and first.latency_s == pytest.approx(0.5)
    assert (first.reply_audio_s, first.reply_played_s) == (9.0, 2.1)
    assert first.agent_states == ["thinking", "speaking"] and first.e2e_latency == 0.5

    assert second.user_texts == ["where is my order"]
    assert [a["text"] for a in second.assistant] == ["It shipped."]
    assert [c["name"] for c in second.tool_calls] == ["lookup_order"]
    assert second.agent_states == ["listening"] and not second.interrupted
    assert second.latency_s == pytest.approx(0.9) and second.e2e_latency == 0.9

    assert TurnResult.from_dict(second.to_dict()) == second


def test_a_turn_without_an_answer_has_no_latency() -> None:
    result = turn_result(
        index=0,
        text="",
        started_at=0.0,
        speech_end_at=1.0,
        next_started_at=None,
        next_speech_end_at=None,
        log=EventLog(),
        segments=[],
    )
    assert result.latency_s is None and result.e2e_latency is None and result.assistant == []
