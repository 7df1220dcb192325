"""Text for the TTS in phrases rather than whole sentences, so the first words are voiced sooner.

The TTS plugin sends each chunk its tokenizer emits at once (no provider-side buffering), in one
continuing context, so the voice keeps its prosody across chunks. With whole sentences the first
audio waits for the model to finish the first sentence; with phrases it waits for a few words.
"""

from __future__ import annotations

import functools
import re

from livekit.agents import tokenize
from livekit.agents.tokenize import token_stream, tokenizer

PHRASE_WORDS = 4
"""Words in a chunk that ends neither a sentence nor a clause."""
_CLAUSE_END = ",;:.!?"


def split_phrases(text: str, *, words: int = PHRASE_WORDS) -> list[tuple[str, int, int]]:
    """(chunk, start, end) spans of `text`: clauses (ended by punctuation) of at most `words`
    words, longer clauses cut every `words` words."""
    out: list[tuple[str, int, int]] = []
    start = 0
    count = 0
    for match in re.finditer(r"\S+", text):
        count += 1
        if count >= words or match.group()[-1] in _CLAUSE_END:
            out.append((text[start : match.end()].strip(), start, match.end()))
            start, count = match.end(), 0
    if text[start:].strip():
        out.append((text[start:].strip(), start, len(text)))
    return out


class PhraseTokenizer(tokenize.SentenceTokenizer):
    """A sentence tokenizer whose stream emits phrases of a few words (see module docstring)."""

    def __init__(self, *, words: int = PHRASE_WORDS) -> None:
        self._split = functools.partial(split_phrases, words=words)

    def tokenize(self, text: str, *, language: str | None = None) -> list[str]:
        return [chunk for chunk, _, _ in self._split(text)]

    def stream(self, *, language: str | None = None) -> tokenizer.SentenceStream:
        return token_stream.BufferedSentenceStream(
            tokenizer=self._split, min_token_len=1, min_ctx_len=1
        )
