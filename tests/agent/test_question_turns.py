"""A question ends the caller's turn without the long hold: events on a real session."""

from __future__ import annotations

import pytest
from livekit.agents import AgentSession, TurnHandlingOptions
from livekit.agents.voice.events import UserInputTranscribedEvent

from agent.behaviors.question_turns import end_turns_on_questions

pytestmark = pytest.mark.unit


def _session() -> AgentSession[None]:
    return AgentSession(
        turn_handling=TurnHandlingOptions(endpointing={"min_delay": 0.55, "max_delay": 1.5})
    )


def _heard(session: AgentSession[None], text: str, *, final: bool = True) -> float:
    session.emit(
        "user_input_transcribed", UserInputTranscribedEvent(transcript=text, is_final=final)
    )
    return session.options.endpointing["max_delay"]


async def test_a_question_cuts_the_hold_and_other_words_restore_it() -> None:
    session = _session()
    turns = end_turns_on_questions(session, question_max_delay=0.6, max_delay=1.5)
    assert turns is not None
    assert _heard(session, "Where is my order ACME-1042?") == 0.6
    assert _heard(session, "My order number is") == 1.5  # the caller goes on: hold again
    assert _heard(session, "Can I return the earbuds? ") == 0.6
    assert turns.shortened == 2


async def test_interim_and_empty_transcripts_change_nothing() -> None:
    session = _session()
    end_turns_on_questions(session, question_max_delay=0.6, max_delay=1.5)
    assert _heard(session, "Where is my order?", final=False) == 1.5
    assert _heard(session, "Where is my order?") == 0.6
    assert _heard(session, "   ") == 0.6


async def test_off_unless_the_question_hold_is_shorter() -> None:
    session = _session()
    assert end_turns_on_questions(session, question_max_delay=None, max_delay=1.5) is None
    assert end_turns_on_questions(session, question_max_delay=2.0, max_delay=1.5) is None
    assert _heard(session, "Where is my order?") == 1.5
