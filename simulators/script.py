"""Scripted conversation brain shared by the Chat Completions and Realtime simulators.

Protocol-neutral: what a product's model would say about its own domain is scripted by the tests
and the harness (`harness.scenario`), not here.
"""

from __future__ import annotations

import importlib
import math
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Role = Literal["system", "user", "assistant", "tool"]

DEFAULT_ANSWER = "Sure, I can help with that."


@dataclass(frozen=True, kw_only=True)
class ToolCall:
    """A function call the simulated model makes; transports assign the call id."""

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Reply:
    """What the simulated model answers: text, tool calls, or both (text first)."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Message:
    """One conversation entry, normalised from either wire protocol."""

    role: Role
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str = ""
    tool_name: str = ""


@dataclass(frozen=True, kw_only=True)
class Conversation:
    """The messages and tool names a client sent for one response."""

    messages: tuple[Message, ...]
    tools: tuple[str, ...] = ()
    instructions: str = ""
    """Instructions given for this one response (Realtime `response.create`), if any."""

    @property
    def last(self) -> Message | None:
        return self.messages[-1] if self.messages else None

    @property
    def last_user_text(self) -> str | None:
        """The caller's last turn when the conversation ends with it, else None: the final
        user messages joined (a turn a client split in two, as a model reads it)."""
        texts = self.last_user_texts
        return " ".join(texts) if texts else None

    @property
    def last_user_texts(self) -> list[str]:
        """The user messages the conversation ends with, oldest first (empty if it does not
        end with the caller)."""
        texts: list[str] = []
        for message in reversed(self.messages):
            if message.role != "user":
                break
            texts.insert(0, message.text)
        return texts

    @property
    def last_tool_result(self) -> Message | None:
        last = self.last
        return last if last is not None and last.role == "tool" else None


class Rule(Protocol):
    """A scripted behaviour: a reply when it applies, None to let later rules decide."""

    def __call__(self, conversation: Conversation) -> Reply | None: ...


Matcher = Callable[[Conversation], "re.Match[str] | None"]
TextSpec = str | Callable[["re.Match[str]"], str]
ArgsSpec = Mapping[str, Any] | Callable[["re.Match[str]"], Mapping[str, Any]] | None


def _expand(spec: TextSpec, match: re.Match[str]) -> str:
    return spec(match) if callable(spec) else match.expand(spec)


def _expand_args(spec: ArgsSpec, match: re.Match[str]) -> dict[str, Any]:
    if spec is None:
        return {}
    if callable(spec):
        return dict(spec(match))
    return {k: match.expand(v) if isinstance(v, str) else v for k, v in spec.items()}


@dataclass(frozen=True, kw_only=True)
class ScriptedRule:
    """A trigger plus the reply it produces; tool calls only fire for tools the client offers."""

    matcher: Matcher
    text: TextSpec = ""
    tool_calls: tuple[tuple[str, ArgsSpec], ...] = ()

    def __call__(self, conversation: Conversation) -> Reply | None:
        match = self.matcher(conversation)
        if match is None:
            return None
        if any(name not in conversation.tools for name, _ in self.tool_calls):
            return None
        calls = tuple(
            ToolCall(name=name, arguments=_expand_args(spec, match))
            for name, spec in self.tool_calls
        )
        return Reply(text=_expand(self.text, match), tool_calls=calls)


@dataclass(frozen=True, kw_only=True)
class Trigger:
    """Builder returned by `on_user_says` / `on_tool_result`; finish it with say/call_tool."""

    matcher: Matcher

    def say(self, text: TextSpec) -> ScriptedRule:
        """Answer with text; `\\1` / `\\g<name>` refer to the trigger's capture groups."""
        return ScriptedRule(matcher=self.matcher, text=text)

    def call_tool(self, name: str, args: ArgsSpec = None, *, say: TextSpec = "") -> ScriptedRule:
        """Call a tool; string argument values are expanded like `say` templates."""
        return ScriptedRule(matcher=self.matcher, text=say, tool_calls=((name, args),))

    def call_tools(self, *calls: tuple[str, ArgsSpec], say: TextSpec = "") -> ScriptedRule:
        """Call several tools in one response (parallel tool calls)."""
        return ScriptedRule(matcher=self.matcher, text=say, tool_calls=tuple(calls))


def on_user_says(pattern: str | re.Pattern[str]) -> Trigger:
    """Trigger when the conversation ends with a user turn matching `pattern` (case-blind)."""
    regex = re.compile(pattern, re.IGNORECASE) if isinstance(pattern, str) else pattern

    def matcher(conversation: Conversation) -> re.Match[str] | None:
        # the newest message that matches: a turn split in two ("... ACME 1042." "Thank you.")
        # is read whole, and after a turn left unanswered the caller's latest words count
        for text in reversed(conversation.last_user_texts):
            if found := regex.search(text):
                return found
        return None

    return Trigger(matcher=matcher)


def on_tool_result(name: str | None = None, pattern: str = r"(?s).*") -> Trigger:
    """Trigger when the conversation ends with a tool result (of `name`, matching `pattern`)."""
    regex = re.compile(pattern)

    def matcher(conversation: Conversation) -> re.Match[str] | None:
        result = conversation.last_tool_result
        if result is None or (name is not None and result.tool_name != name):
            return None
        return regex.search(result.text)

    return Trigger(matcher=matcher)


def on_instructions(pattern: str | re.Pattern[str]) -> Trigger:
    """Trigger when the response was requested with instructions matching `pattern`."""
    regex = re.compile(pattern, re.IGNORECASE | re.DOTALL) if isinstance(pattern, str) else pattern
    return Trigger(matcher=lambda conversation: regex.search(conversation.instructions))


def always() -> Trigger:
    """Trigger on any conversation (use last, as a catch-all)."""
    return Trigger(matcher=lambda conversation: re.match("", ""))


def say_tool_result_back() -> ScriptedRule:
    """Default: after a tool result, speak the tool output as the answer."""
    return on_tool_result().say(r"\g<0>")


class Script:
    """Ordered rules (first reply wins) plus the queue of what the simulated STT hears."""

    def __init__(
        self,
        *,
        rules: Sequence[Rule] = (),
        hears: Iterable[str] = (),
        use_defaults: bool = True,
        default_answer: str = DEFAULT_ANSWER,
    ) -> None:
        self.rules: list[Rule] = list(rules)
        self.hears: list[str] = list(hears)
        self.use_defaults = use_defaults
        self.default_answer = default_answer
        self._lock = threading.Lock()

    def hear(self, *texts: str) -> None:
        """Queue transcripts for the next detected speech segments."""
        with self._lock:
            self.hears.extend(texts)

    def next_heard(self) -> str:
        """Pop the transcript for a newly detected speech segment ("" when the queue is empty)."""
        with self._lock:
            return self.hears.pop(0) if self.hears else ""

    def reply(self, conversation: Conversation) -> Reply:
        """Decide the model's answer to `conversation`."""
        rules: list[Rule] = list(self.rules)
        if self.use_defaults:
            rules.append(say_tool_result_back())
        for rule in rules:
            if (reply := rule(conversation)) is not None:
                return reply
        return Reply(text=self.default_answer)


def echo_script() -> Script:
    """Repeats the user's words: handy to check an STT -> LLM -> TTS path end to end."""
    return Script(rules=[on_user_says(r"(?s)^(.+)$").say(r"You said: \1")])


SCRIPTS: dict[str, Callable[[], Script]] = {"default": Script, "echo": echo_script}


def named_script(name: str) -> Script:
    """One of the named scripts, or `module:function` returning a `Script` (imported now)."""
    if ":" in name:
        module, _, attr = name.partition(":")
        try:
            factory: Callable[[], Script] = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise ValueError(f"cannot load script {name!r}: {exc}") from None
        return factory()
    try:
        return SCRIPTS[name]()
    except KeyError:
        raise ValueError(
            f"unknown script {name!r}; choose from {sorted(SCRIPTS)} or module:function"
        ) from None


def split_tokens(text: str) -> list[str]:
    """Split text into stream pieces (a word with its trailing space)."""
    return re.findall(r"\s*\S+\s*", text) if text.strip() else ([text] if text else [])


def count_tokens(text: str) -> int:
    """Rough token count used for usage reports (4 characters per token)."""
    return math.ceil(len(text) / 4) if text else 0
