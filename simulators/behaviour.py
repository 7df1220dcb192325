"""How the simulated providers behave where the real services are less tidy than their protocols.

The defaults are what the real services do; the switches exist so a test can also produce the
idealised orderings older tests were written against, or tighten a limit to reach it quickly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Provider = Literal["openai", "deepgram", "cartesia"]


@dataclass(kw_only=True)
class RealtimeBehaviour:
    """OpenAI Realtime."""

    transcript_before_response: bool = False
    """False (the real API): a server response starts as soon as the turn is committed and the
    caller's `input_audio_transcription.completed` arrives on its own, often after the function
    call or the whole response. True: the response waits for the transcript."""
    transcript_deltas: bool = True
    """Stream `input_audio_transcription.delta` events before `.completed` (gpt-4o-transcribe)."""
    rate_limits: bool = True
    """Send `rate_limits.updated` at the start of every response."""
    max_session_s: float = 3600.0
    """The server ends a session this old: `error` `session_expired`, then close code 1001."""


@dataclass(kw_only=True)
class DeepgramBehaviour:
    """Deepgram live transcription."""

    finals_in_pieces: bool = False
    """True (what Deepgram does): an utterance's words come in several `is_final` results, at
    pauses and every 1.5 s of speech. False: one final per utterance. Off by default while the
    room tests (tests/livekit) expect one caller transcript segment per utterance; the voice
    tests of the agent turn it on."""
    idle_timeout_s: float = 10.0
    """No audio and no KeepAlive for this long: Deepgram closes with 1011 (NET-0001)."""
    pause_split_s: float = 0.12
    """A pause this long inside an utterance (and longer than the `endpointing` the client asked
    for) ends an `is_final` piece; only the utterance's last piece is `speech_final`."""


@dataclass(kw_only=True)
class Behaviour:
    """Provider behaviour shared by one simulator's handlers; fields may change while serving."""

    realtime: RealtimeBehaviour = field(default_factory=RealtimeBehaviour)
    deepgram: DeepgramBehaviour = field(default_factory=DeepgramBehaviour)
    api_keys: dict[Provider, str] = field(default_factory=dict)
    """The one key each provider accepts; a provider not listed accepts any key."""
    llm_context_tokens: int = 1_047_576
    """Chat Completions context window (gpt-4.1); a longer request gets a 400."""

    def key_accepted(self, provider: Provider, key: str) -> bool:
        expected = self.api_keys.get(provider)
        return expected is None or key == expected
