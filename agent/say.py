"""Say a fixed sentence in every mode: with the TTS when there is one, else through the model."""

from __future__ import annotations

from typing import Any

from livekit.agents import AgentSession
from livekit.agents.voice import SpeechHandle


def say(session: AgentSession[Any], text: str) -> SpeechHandle:
    """Start saying `text`; await the handle to wait until it has played out.

    With a speech-to-speech model and no TTS, `say()` is unavailable, so the model reads it.
    """
    try:
        return session.say(text)
    except RuntimeError:
        return session.generate_reply(
            instructions=f"Say exactly this sentence and nothing else: {text}"
        )
