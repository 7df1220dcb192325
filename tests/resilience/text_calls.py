"""Text calls for the resilience tests: the real AcmeAgent, a scripted model, a chosen store."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from livekit.agents import AgentSession, RunResult, llm
from livekit.agents.voice.run_result import ChatMessageEvent, FunctionCallOutputEvent

from agent.acme_agent import AcmeAgent, CallState
from agent.prompts import load_prompt
from tests.scripted_llm import Call, Rule, ScriptedLLM
from tools.store import OrderStore
from tools.support import SupportDesk

# The spoken fallback of a tool that raised something other than a business error.
UNEXPECTED_FAILURE = "Sorry, something went wrong on my side"
FRAMEWORK_FAILURE = "An internal error occurred"


@dataclass
class NextCall:
    """A rule target the test sets before each turn: the tool call the model will make."""

    call: Call | None = None

    def rule(self, pattern: str = r"^go$") -> Rule:
        def make(_match: Any) -> Call:
            assert self.call is not None, "set NextCall.call before the turn"
            return self.call

        return (pattern, make)


@contextlib.asynccontextmanager
async def text_call(
    store: OrderStore, rules: list[Rule], *, state: CallState | None = None
) -> AsyncIterator[AgentSession[CallState]]:
    """A started text session of the real agent over `store`, driven by a scripted model."""
    userdata = state or CallState(desk=SupportDesk(store=store))
    async with AgentSession[CallState](llm=ScriptedLLM(rules), userdata=userdata) as session:
        agent = AcmeAgent(instructions=load_prompt("support"), greeting=load_prompt("greeting"))
        await session.start(agent)
        yield session


@dataclass(frozen=True)
class Turn:
    """What one `session.run` produced: tool outputs (with their error flag) and replies."""

    outputs: list[tuple[str, bool]] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [text for text, _ in self.outputs] + self.replies


def turn_of(result: RunResult[Any]) -> Turn:
    turn = Turn()
    for ev in result.events:
        if isinstance(ev, FunctionCallOutputEvent):
            turn.outputs.append((ev.item.output, ev.item.is_error))
        elif isinstance(ev, ChatMessageEvent) and ev.item.role == "assistant":
            turn.replies.append(ev.item.text_content or "")
    return turn


def agent_texts(session: AgentSession[Any]) -> list[str]:
    """Everything the agent said and every tool output in the session's history."""
    texts = []
    for item in session.history.items:
        if isinstance(item, llm.ChatMessage) and item.role == "assistant":
            texts.append(item.text_content or "")
        elif isinstance(item, llm.FunctionCallOutput):
            texts.append(item.output)
    return texts


@contextlib.contextmanager
def captured(logger_name: str, level: int = logging.DEBUG) -> Iterator[list[logging.LogRecord]]:
    """Every record of `logger_name` (and its children) while the block runs."""
    records: list[logging.LogRecord] = []

    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger(logger_name)
    handler, old_level = _Keep(level), logger.level
    logger.addHandler(handler)
    logger.setLevel(min(level, old_level) if old_level else level)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
