"""Replies reach the TTS in phrases: clauses of a few words, never a word cut in two."""

from __future__ import annotations

from agent.speech_chunks import PhraseTokenizer, split_phrases

ANSWER = "Returns are free within thirty days of delivery. Anything else, today?"


def test_phrases_end_at_clauses_or_after_four_words() -> None:
    assert [c for c, _, _ in split_phrases(ANSWER)] == [
        "Returns are free within",
        "thirty days of delivery.",
        "Anything else,",
        "today?",
    ]


async def test_a_streamed_reply_comes_out_a_phrase_at_a_time_as_tokens_arrive() -> None:
    stream = PhraseTokenizer().stream()
    emitted: list[str] = []
    for token in ["Ret", "urns", " are", " free", " with", "in", " thirty", " days"]:
        stream.push_text(token)
    stream.end_input()
    async for ev in stream:
        emitted.append(ev.token)
    # the first phrase is out once the fifth word has begun, the rest at the end
    assert emitted == ["Returns are free within", "thirty days"]
