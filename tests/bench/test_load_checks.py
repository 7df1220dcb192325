"""The load bench's verdicts: answered turns, unrecoverable errors, lost transcript records."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytest
from livekit.agents.llm import ChatMessage

from agent.behaviors.transcripts import message_record
from agent.transcript_sink import TranscriptSink
from bench.load_checks import check_transcript, percentile, split_session_errors, turn_problem
from bench.load_report import summarize
from bench.load_run import CallOutcome, PhaseResult, PhaseSetup
from harness import TurnResult
from harness.scenario import ORDER_QUESTION, benchmark_latency

pytestmark = pytest.mark.unit

HEARD = "Please check order ACME-1042. Thank you."
ANSWER = "It shipped with UPS. The tracking number is 1Z999."
GREETING = "Hi, this is Ava from Acme. How can I help?"


def _turn(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "index": 0,
        "text": "spoken",
        "started_at": 10.0,
        "speech_end_at": 12.5,
        "first_audio_at": 13.6,
        "user_texts": [HEARD],
        "assistant": [{"text": ANSWER, "interrupted": False, "metrics": {}}],
        "tool_calls": [{"name": "lookup_order", "arguments": "{}", "output": "x"}],
    }
    fields.update(changes)
    return TurnResult(**fields).to_dict()


async def _transcript(path: Path, records: list[dict[str, Any]]) -> Path:
    """Written by the product's own sink, as a call writes it."""
    sink = TranscriptSink(directory=path, call_id="call-1")
    for record in records:
        sink.write(record)
    await sink.aclose()
    return sink.path


def _message(role: Literal["user", "assistant"], text: str) -> dict[str, Any]:
    return message_record(ChatMessage(role=role, content=[text]))


def _tool_call(name: str) -> dict[str, Any]:
    return {"type": "tool_call", "ts": 0.0, "name": name, "arguments": "{}", "output": "x"}


def test_percentile_interpolates_between_ranks() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert percentile(values, 50) == 3.0
    assert percentile(values, 95) == pytest.approx(4.8)
    assert percentile([7.0], 95) == 7.0


def test_an_answered_turn_has_no_problem_and_each_failure_is_named() -> None:
    assert turn_problem(_turn(), heard=HEARD) is None
    assert "heard" in (turn_problem(_turn(user_texts=["something else"]), heard=HEARD) or "")
    assert turn_problem(_turn(user_texts=[]), heard=HEARD) is not None
    assert turn_problem(_turn(assistant=[]), heard=HEARD) == "no answer message"
    assert turn_problem(_turn(first_audio_at=None), heard=HEARD) == "no answer audio"


def test_session_errors_count_as_fatal_unless_marked_recoverable() -> None:
    errors = [
        {"error": "LLMError(type='llm_error', recoverable=True)"},
        {"error": "TTSError(type='tts_error', recoverable=False)"},
        {"error": "RuntimeError('boom')"},
    ]
    assert split_session_errors(errors) == (2, 1)
    assert split_session_errors([]) == (0, 0)


async def test_a_complete_transcript_loses_nothing(tmp_path: Path) -> None:
    path = await _transcript(
        tmp_path,
        [
            _message("assistant", GREETING),
            _message("user", HEARD),
            _tool_call("lookup_order"),
            _message("assistant", ANSWER),
        ],
    )
    check = check_transcript(path, [_turn()], greeted=True)
    assert (check.expected, check.lost, check.unparsable) == (4, 0, 0)


async def test_each_missing_record_and_broken_line_counts_as_lost(tmp_path: Path) -> None:
    path = await _transcript(tmp_path, [_message("assistant", GREETING), _message("user", HEARD)])
    with path.open("a", encoding="utf-8") as file:
        file.write('{"type": "message", "role": "assist')  # a record cut off mid-write
    check = check_transcript(path, [_turn()], greeted=True)
    assert check.unparsable == 1
    assert check.lost == 3  # the tool call, the answer and the broken line
    assert set(check.missing) == {
        ("tool_call", "lookup_order", ""),
        ("message", "assistant", ANSWER),
    }


async def test_a_greeting_must_come_before_the_first_user_record(tmp_path: Path) -> None:
    records = [_message("user", HEARD), _tool_call("lookup_order"), _message("assistant", ANSWER)]
    path = await _transcript(tmp_path, records)
    assert check_transcript(path, [_turn()], greeted=True).lost == 1
    assert check_transcript(path, [_turn()], greeted=False).lost == 0


def test_no_transcript_file_loses_every_expected_record(tmp_path: Path) -> None:
    check = check_transcript(tmp_path / "missing.jsonl", [_turn(), _turn(index=1)], greeted=True)
    assert check.expected == 7
    assert check.lost == 7


async def test_a_call_that_failed_after_finished_turns_is_checked_against_its_spool(
    tmp_path: Path,
) -> None:
    """A failed call has no closing summary; its spool, known from the start, is checked."""
    path = await _transcript(
        tmp_path,
        [
            _message("assistant", GREETING),
            _message("user", HEARD),
            _tool_call("lookup_order"),
            _message("assistant", ANSWER),
        ],
    )
    failed = CallOutcome(
        index=0,
        call_id="load-1",
        questions=[ORDER_QUESTION, ORDER_QUESTION],
        turns=[{**_turn(user_texts=[ORDER_QUESTION.heard]), "late_frames": 0}],
        failure="RemoteCallError: call process ended before 'turn'",
        transcript_path=path,
    )
    setup = PhaseSetup(
        calls=1,
        turns=2,
        mode="pipeline",
        window_s=0.0,
        turn_timeout_s=1.0,
        latency=benchmark_latency(),
        speeches={},
        workdir=tmp_path,
        environ={},
    )
    phase = PhaseResult(
        setup=setup,
        outcomes=[failed],
        sim_stats={},
        sim_cpu=None,
        parent_cpu_s=0.0,
        machine_busy=0.0,
        wall_s=1.0,
    )
    summary = summarize(phase)
    assert summary.errors == 1  # the failed call
    assert (summary.expected, summary.lost) == (3, 0)
