"""The standard caller and simulated-provider script shared by the voice tests and benchmarks.

Caller sentences end in "Thank you." on purpose: with espeak-ng's flat voice, the local
turn detector is sure these turns are over (probability ~0.6-0.8 against a 0.36 threshold), so
endpointing takes its minimum delay instead of sometimes waiting the 2.5 s maximum.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulators import (
    Conversation,
    Latency,
    Reply,
    Script,
    on_instructions,
    on_tool_result,
    on_user_says,
)
from simulators.script import Rule, ScriptedRule

GREETING = "Hi, this is Ava from Acme. How can I help?"
NO_TOOL_ANSWER = "Returns are free within thirty days of delivery."


@dataclass(frozen=True, kw_only=True)
class Question:
    """A caller sentence: as spoken (espeak-ng input) and as the simulated STT transcribes it."""

    spoken: str
    heard: str


ORDER_QUESTION = Question(
    spoken="Please check order ACME 1042. Thank you.",
    heard="Please check order ACME-1042. Thank you.",
)
"""Needs the lookup_order tool (the simulated model calls it for an order number)."""
NO_TOOL_QUESTION = Question(
    spoken="What is your return policy? Thank you.",
    heard="What is your return policy? Thank you.",
)
"""Answered by the model alone."""


def benchmark_latency() -> Latency:
    """The fixed provider latencies the benchmarks state: STT final 100 ms, LLM first token
    200 ms then 50 tokens/s, TTS first audio 80 ms (then as fast as possible), Realtime first
    audio 300 ms."""
    return Latency(
        stt_final_s=0.1,
        llm_ttft_s=0.2,
        llm_tokens_per_s=50.0,
        tts_ttfb_s=0.08,
        tts_realtime_factor=0.0,
        realtime_first_audio_s=0.3,
    )


_NUMBER_WORD = (
    r"(?:\d+|zero|oh|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety|hundred|thousand|double|triple)"
)
ORDER_NUMBER = re.compile(
    r"\b(?P<typed>[A-Za-z]{2,}-\d{2,}|\d{3,})\b"
    rf"|\border\s+(?:(?:number|no\.?|id|\#)\s*)?"
    rf"(?P<spoken>(?:acme[\s-]+)?{_NUMBER_WORD}(?:[\s,-]+{_NUMBER_WORD})+)\b",
    re.IGNORECASE,
)
"""An order number typed ("ACME-1042", "55512") or spoken after "order" ("acme ten forty two")."""


def lookup_order_when_mentioned() -> ScriptedRule:
    """An order number in the caller's last turn calls `lookup_order(order_id=...)`.

    `order_id` is the words as heard; the agent's tool normalises spoken forms.
    """
    return on_user_says(ORDER_NUMBER).call_tool(
        "lookup_order", lambda m: {"order_id": m["typed"] or m["spoken"]}
    )


def preamble(match: re.Match[str]) -> str:
    """The short phrase our prompt asks the model to say in the same response as a lookup."""
    typed = match["typed"]
    if typed and not typed.isdigit():
        return f"Let me pull up {typed.upper()}."
    return "Let me pull up that order."


def lookup_order_with_preamble() -> Rule:
    """As `lookup_order_when_mentioned`, with a short phrase first in the same response
    ("Let me pull up ACME-1042."), as our prompt (config/prompts/support.md) asks the model:
    content before the tool call in a Chat Completions stream, audio or text before the
    function call in a Realtime response. A model whose system prompt does not ask for it
    (another product's, such as the Pipecat peer's) calls the tool without a word."""
    args = lambda m: {"order_id": m["typed"] or m["spoken"]}  # noqa: E731
    announced = on_user_says(ORDER_NUMBER).call_tool("lookup_order", args, say=preamble)
    silent = on_user_says(ORDER_NUMBER).call_tool("lookup_order", args)

    def rule(conversation: Conversation) -> Reply | None:
        first = conversation.messages[0] if conversation.messages else None
        asked = first is None or first.role != "system" or "pull up" in first.text.lower()
        return (announced if asked else silent)(conversation)

    return rule


def say_as_instructed() -> ScriptedRule:
    """The model says the sentence our agent asks a speech-to-speech model to read out
    (agent.say: apologies, transfer and goodbye sentences)."""
    return on_instructions(r"Say exactly this sentence and nothing else: (.+)$").say(r"\1")


def acme_script() -> Script:
    """The model reads out sentences it is told to, looks up any order number it hears and
    reads the tool's answer back."""
    return Script(rules=[say_as_instructed(), lookup_order_when_mentioned()])


def greet(conversation: Conversation) -> Reply | None:
    """The model's greeting: a reply requested before the caller has said anything."""
    if any(m.role in ("user", "tool") for m in conversation.messages):
        return None
    return Reply(text=GREETING)


def tracking_answer() -> ScriptedRule:
    """After lookup_order, the model answers with the carrier and tracking number it was given."""
    return on_tool_result(
        "lookup_order", r"shipped with (?P<carrier>\w+).*tracking number is (?P<tracking>\w+)"
    ).say(r"It shipped with \g<carrier>. The tracking number is \g<tracking>.")


def support_script() -> Script:
    """Greeting, order lookups announced with a short phrase and answered with the tracking
    number (also when the lookup result is already in the context: our agent's prefetch), a
    short answer otherwise."""
    return Script(
        rules=[say_as_instructed(), greet, tracking_answer(), lookup_order_with_preamble()],
        default_answer=NO_TOOL_ANSWER,
    )
