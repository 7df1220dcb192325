"""A scripted chat model for behaviour tests: rules map the caller's words to tool calls or text."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from livekit.agents import APIConnectOptions, llm
from livekit.agents.llm import ChatChunk, ChoiceDelta, CompletionUsage, FunctionToolCall
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, NotGivenOr
from livekit.agents.utils import shortuuid


@dataclass(frozen=True)
class Call:
    """Ask for one tool call."""

    name: str
    arguments: dict[str, Any]


Reply = Call | str
Rule = tuple[str, Callable[[re.Match[str]], Reply]]

GREETING = "Hi, this is Ava from Acme support. How can I help you today?"


def decide(chat_ctx: llm.ChatContext, rules: list[Rule]) -> Reply:
    """After a tool result, say it; after a user turn, apply the first matching rule."""
    items = [i for i in chat_ctx.items if i.type in ("message", "function_call_output")]
    last = items[-1] if items else None
    if last is not None and last.type == "function_call_output":
        return last.output
    user = next((i for i in reversed(items) if i.type == "message" and i.role == "user"), None)
    if user is None:
        return GREETING
    text = user.text_content or ""
    for pattern, make in rules:
        if match := re.search(pattern, text, re.IGNORECASE):
            return make(match)
    return "Sorry, I can only help with Acme orders, returns and products."


class ScriptedLLM(llm.LLM):
    def __init__(self, rules: list[Rule]) -> None:
        super().__init__()
        self.rules = rules
        self.requests: list[llm.ChatContext] = []

    @property
    def model(self) -> str:
        return "scripted"

    @property
    def provider(self) -> str:
        return "tests"

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        parallel_tool_calls: NotGivenOr[bool] = NOT_GIVEN,
        tool_choice: NotGivenOr[llm.ToolChoice] = NOT_GIVEN,
        extra_kwargs: NotGivenOr[dict[str, Any]] = NOT_GIVEN,
    ) -> llm.LLMStream:
        self.requests.append(chat_ctx.copy())
        return _ScriptedStream(
            self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options
        )


class _ScriptedStream(llm.LLMStream):
    async def _run(self) -> None:
        assert isinstance(self._llm, ScriptedLLM)
        reply = decide(self._chat_ctx, self._llm.rules)
        chunk_id = shortuuid("chunk_")
        if isinstance(reply, Call):
            call = FunctionToolCall(
                name=reply.name, arguments=json.dumps(reply.arguments), call_id=shortuuid("call_")
            )
            delta = ChoiceDelta(role="assistant", tool_calls=[call])
            self._event_ch.send_nowait(ChatChunk(id=chunk_id, delta=delta))
        else:
            for word in re.findall(r"\S+\s*", reply):
                delta = ChoiceDelta(role="assistant", content=word)
                self._event_ch.send_nowait(ChatChunk(id=chunk_id, delta=delta))
        usage = CompletionUsage(completion_tokens=8, prompt_tokens=32, total_tokens=40)
        self._event_ch.send_nowait(ChatChunk(id=chunk_id, usage=usage))
