"""A caller who asked a question is answered without the turn detector's long hold.

The turn detector judges the caller's voice: a flat "Where is my order?" (synthetic speech, a
tired caller, a phone line) often sounds unfinished to it, and the turn waits the full
`max_endpointing_delay`. The transcript knows better: when the caller's latest words are a
question (the STT's punctuation ends them with "?"), the hold is cut to `question_max_delay`
for this turn; any other final transcript restores the configured hold. A pause the detector
judges finished is untouched (min_endpointing_delay).
"""

from __future__ import annotations

from typing import Any

from livekit.agents import AgentSession
from livekit.agents.voice.events import UserInputTranscribedEvent


class QuestionTurns:
    """Switches the session's hold on each final transcript; `shortened` counts the switches."""

    def __init__(
        self, session: AgentSession[Any], *, question_max_delay: float, max_delay: float
    ) -> None:
        self._session = session
        self._question_max_delay = question_max_delay
        self._max_delay = max_delay
        self._current = max_delay
        self.shortened = 0
        session.on("user_input_transcribed", self._on_transcribed)

    def _on_transcribed(self, ev: UserInputTranscribedEvent) -> None:
        if not ev.is_final or not ev.transcript.strip():
            return
        asked = ev.transcript.rstrip().endswith("?")
        hold = self._question_max_delay if asked else self._max_delay
        if hold == self._current:
            return
        self._current = hold
        self.shortened += asked
        # the framework reads the hold when it judges the pause, after this final transcript
        self._session.update_options(endpointing_opts={"max_delay": hold})


def end_turns_on_questions(
    session: AgentSession[Any], *, question_max_delay: float | None, max_delay: float | None
) -> QuestionTurns | None:
    """Attach to a pipeline call's session; None (off) without both delays."""
    if question_max_delay is None or max_delay is None or question_max_delay >= max_delay:
        return None
    return QuestionTurns(session, question_max_delay=question_max_delay, max_delay=max_delay)
