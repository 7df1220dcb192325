"""Callers who pause mid-sentence, and callers who ask a flat question: turn-taking test speech.

A paused utterance is said in pieces (espeak-ng), each trimmed to its speech, with exact
silences of 300-900 ms spliced between them (sox), the way callers stop to find an order
number or read digits slowly. The simulated STT hears each stretch of speech it segments as
one utterance, so `heard(split_s)` says what it transcribes for a given split silence.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.speech import DEFAULT_SAMPLE_RATE, CallerSpeech, speak
from simulators import SegmenterConfig

SPLIT_S = SegmenterConfig().end_silence_s
"""The simulated Deepgram ends an utterance after this much silence (or its endpointing)."""
VAD_SILENCE_LAG_S = 0.1
"""Silero counts about this much less silence than the audio holds (its speech probability
decays over the first windows of a pause): an agent finalizing at `finalize_after_s` of VAD
silence (agent/pause_finalize.py) cuts the stream at pauses this much longer."""
SENTENCE_GAP_S = 0.31
"""The silence espeak-ng leaves between two sentences at 175 words per minute."""
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def heard_pieces(heard: str, split_s: float) -> list[str]:
    """What the simulated STT transcribes of an espeak-ng turn whose text is `heard`: one
    utterance, or one per sentence when it splits at silences as short as espeak leaves between
    sentences (a recognizer finalized by the VAD)."""
    return _SENTENCE.split(heard) if split_s < SENTENCE_GAP_S else [heard]


def stt_split_s(*, endpointing_ms: int = 25, finalize_after_s: float | None = None) -> float:
    """The silence that ends a simulated STT utterance: Deepgram's own segmentation and
    endpointing, or sooner the VAD's end of speech when the agent finalizes the stream then."""
    own = max(SPLIT_S, endpointing_ms / 1000)
    return own if finalize_after_s is None else min(own, finalize_after_s)


@dataclass(frozen=True, kw_only=True)
class PausedUtterance:
    """Pieces said with pauses between them: `pieces[i]`, silence `pauses_s[i]`, `pieces[i+1]`."""

    pieces: tuple[str, ...]
    pauses_s: tuple[float, ...]
    transcribed: tuple[str, ...] = ()
    """How the STT writes each piece (default: as spoken)."""

    def __post_init__(self) -> None:
        if len(self.pauses_s) != len(self.pieces) - 1:
            raise ValueError("one pause between each two pieces")
        if self.transcribed and len(self.transcribed) != len(self.pieces):
            raise ValueError("one transcription per piece")

    @property
    def text(self) -> str:
        return " ... ".join(self.pieces)

    def heard(self, split_s: float = SPLIT_S) -> list[str]:
        """The STT's utterances: pieces joined where the pause is shorter than `split_s`."""
        written = self.transcribed or self.pieces
        out = heard_pieces(written[0], split_s)
        for pause, piece in zip(self.pauses_s, written[1:], strict=True):
            said = heard_pieces(piece, split_s)
            if pause < split_s:
                out[-1] = f"{out[-1]} {said.pop(0)}"
            out.extend(said)
        return out


def _u(*parts: str | float, transcribed: tuple[str, ...] = ()) -> PausedUtterance:
    return PausedUtterance(
        pieces=tuple(p for p in parts if isinstance(p, str)),
        pauses_s=tuple(float(p) for p in parts if not isinstance(p, str)),
        transcribed=transcribed,
    )


# Pauses avoid 0.36-0.46 s, where the simulated STT's 0.4 s split is decided by frame rounding.
PAUSED_SET: tuple[PausedUtterance, ...] = (
    _u(
        "My order number is",
        0.7,
        "ACME 1042.",
        transcribed=("My order number is", "ACME-1042."),
    ),
    _u("I'd like to return", 0.6, "the earbuds I got last week."),
    _u(
        "Um",
        0.8,
        "let me see",
        0.6,
        "it's order ACME 1042.",
        transcribed=("Um", "let me see", "it's order ACME-1042."),
    ),
    _u("The order is ACME", 0.5, "one zero", 0.5, "four two."),
    _u("Can you tell me", 0.5, "how much the smart speaker costs?"),
    _u("I ordered a desk lamp", 0.9, "and it never arrived."),
    _u("So", 0.7, "what is your return policy?"),
    _u("Where is", 0.5, "my order?"),
    _u("I want to check on", 0.8, "an order from last Tuesday."),
    _u("My email is", 0.6, "jane at example dot com."),
    _u("Hold on", 0.9, "I'm looking for the receipt."),
    _u("The tracking page says", 0.7, "delivered but it is not here."),
    _u("Could you", 0.35, "check the status", 0.6, "of my order?"),
    _u("I need to", 0.5, "change my shipping address."),
    _u("It's the", 0.6, "blue one,", 0.5, "the medium size."),
    _u("Yes", 0.8, "that's the right order."),
    _u("Well", 0.6, "I was charged twice", 0.5, "for the same thing."),
    _u("My phone number is", 0.7, "five five five", 0.6, "one two three four."),
    _u("I'm calling about", 0.3, "a refund", 0.8, "that hasn't shown up yet."),
    _u("Let me think", 0.9, "I'd like to speak to someone about my bill."),
    _u("The zip code is", 0.6, "nine four one", 0.5, "oh seven."),
    _u("Is it possible", 0.5, "to exchange it instead?"),
)

FLAT_QUESTIONS: tuple[PausedUtterance, ...] = (
    _u("What is your return policy?"),
    _u("Where is my order ACME 1042?", transcribed=("Where is my order ACME-1042?",)),
    _u("Can I return the earbuds?"),
    _u("How much is the smart speaker?"),
    _u("Do you ship to Canada?"),
    _u("When will my refund arrive?"),
)
"""Plain questions without the "Thank you." the latency benchmark ends its questions with."""


def _sox(*args: str) -> None:
    subprocess.run(["sox", *args], check=True, capture_output=True)


def speak_paused(
    utterance: PausedUtterance,
    *,
    directory: Path,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    lead_s: float = 0.3,
    trail_s: float = 0.3,
) -> CallerSpeech:
    """The utterance as one WAV in `<directory>/<hash>.wav` (reused if present).

    Blocking (subprocesses): call it before the event loop or via `asyncio.to_thread`.
    """
    key = f"{utterance.pieces}|{utterance.pauses_s}|{sample_rate}|{lead_s}|{trail_s}"
    name = hashlib.sha256(key.encode()).hexdigest()[:16]
    wav = directory / f"paused-{name}.wav"
    if not wav.exists():
        pieces = directory / "pieces"
        parts: list[str] = []
        for i, text in enumerate(utterance.pieces):
            said = speak(text, directory=pieces, sample_rate=sample_rate, lead_s=0, trail_s=0)
            assert said.path is not None
            start, end = said.speech_start / sample_rate, said.speech_end / sample_rate
            pad_before = lead_s if i == 0 else 0.0
            pad_after = utterance.pauses_s[i] if i < len(utterance.pauses_s) else trail_s
            part = pieces / f"{name}-{i}.wav"
            _sox(
                str(said.path),
                str(part),
                "trim",
                f"{start:.4f}",
                f"={end:.4f}",
                "pad",
                f"{pad_before:.3f}",
                f"{pad_after:.3f}",
            )
            parts.append(str(part))
        tmp = directory / f"paused-{name}.tmp.wav"
        if len(parts) == 1:
            Path(parts[0]).replace(tmp)
        else:
            _sox(*parts, str(tmp))
        tmp.replace(wav)  # atomic: concurrent callers never read a half-written file
    return CallerSpeech.from_wav(wav, text=utterance.text)
