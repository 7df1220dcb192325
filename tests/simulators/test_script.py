"""The scripted brain: rule order, capture groups, defaults, and the STT `hears` queue."""

from __future__ import annotations

import pytest

from simulators import (
    Conversation,
    Message,
    Reply,
    Script,
    ToolCall,
    always,
    named_script,
    on_tool_result,
    on_user_says,
)
from simulators.script import count_tokens, split_tokens

pytestmark = pytest.mark.unit

TOOLS = ("lookup_order", "start_return")


def user(text: str, tools: tuple[str, ...] = TOOLS) -> Conversation:
    messages = (Message(role="system", text="be nice"), Message(role="user", text=text))
    return Conversation(messages=messages, tools=tools)


def after_tool(output: str, name: str = "lookup_order") -> Conversation:
    call = ToolCall(name=name, arguments={"order_id": "ACME-1"})
    return Conversation(
        messages=(
            Message(role="user", text="where is order ACME-1"),
            Message(role="assistant", tool_calls=(call,)),
            Message(role="tool", text=output, tool_call_id="c1", tool_name=name),
        ),
        tools=TOOLS,
    )


def test_defaults_say_tool_results_and_otherwise_the_default_answer() -> None:
    script = Script()
    assert script.reply(after_tool("It shipped.")) == Reply(text="It shipped.")
    assert script.reply(user("hello")) == Reply(text=script.default_answer)
    # no product behaviour is built in: an order number is just words
    assert script.reply(user("where is order acme-1042?")) == Reply(text=script.default_answer)


def test_first_matching_rule_wins_before_defaults() -> None:
    script = Script(
        rules=[
            on_user_says(r"return (\S+)").call_tool("start_return", {"order_id": r"\1"}),
            on_user_says("return").say("never reached"),
            on_tool_result("start_return", r"label (\w+)").say(r"Your label is \1."),
        ]
    )
    reply = script.reply(user("I want to return ACME-9 please"))
    assert reply.tool_calls == (ToolCall(name="start_return", arguments={"order_id": "ACME-9"}),)
    assert script.reply(after_tool("label XY12 sent", "start_return")).text == "Your label is XY12."
    assert script.reply(after_tool("no match here", "start_return")).text == "no match here"
    assert script.reply(after_tool("label ZZ", "lookup_order")).text == "label ZZ"


def test_user_rules_only_match_a_final_user_turn() -> None:
    script = Script(rules=[on_user_says("order").say("user rule")], use_defaults=False)
    assert script.reply(user("ORDER please")).text == "user rule"
    assert script.reply(after_tool("order shipped")).text == script.default_answer


def test_a_user_turn_split_in_two_messages_is_read_whole() -> None:
    script = Script(
        rules=[on_user_says(r"order (\S+?)\.").call_tool("lookup_order", {"order_id": r"\1"})]
    )
    split = Conversation(
        messages=(
            Message(role="assistant", text="How can I help?"),
            Message(role="user", text="Please check order ACME-1042."),
            Message(role="user", text="Thank you."),
        ),
        tools=TOOLS,
    )
    assert split.last_user_text == "Please check order ACME-1042. Thank you."
    assert script.reply(split).tool_calls == (
        ToolCall(name="lookup_order", arguments={"order_id": "ACME-1042"}),
    )


def test_after_an_unanswered_turn_the_latest_words_count() -> None:
    """A turn lost to a failed model call leaves two user messages in a row: a model answers
    the newer one."""
    script = Script(
        rules=[on_user_says(r"order (\S+)").call_tool("lookup_order", {"order_id": r"\1"})]
    )
    unanswered = Conversation(
        messages=(
            Message(role="assistant", text="How can I help?"),
            Message(role="user", text="where is order ACME-1042"),
            Message(role="user", text="where is order ACME-1043"),
        ),
        tools=TOOLS,
    )
    assert script.reply(unanswered).tool_calls == (
        ToolCall(name="lookup_order", arguments={"order_id": "ACME-1043"}),
    )


def test_callables_and_catch_all() -> None:
    script = Script(
        rules=[
            on_user_says(r"(?P<n>\d+) items").say(lambda m: f"{int(m['n']) * 2} halves"),
            always().say("catch-all"),
        ]
    )
    assert script.reply(user("3 items")).text == "6 halves"
    assert script.reply(user("anything")).text == "catch-all"


def test_hears_is_a_queue() -> None:
    script = Script(hears=["one"])
    script.hear("two", "three")
    assert [script.next_heard() for _ in range(4)] == ["one", "two", "three", ""]


def test_named_scripts() -> None:
    assert named_script("echo").reply(user("hi there")).text == "You said: hi there"
    assert named_script("default").reply(user("hi")).text == Script().default_answer
    with pytest.raises(ValueError, match="unknown script"):
        named_script("nope")
    acme = named_script("harness.scenario:acme_script")
    assert acme.reply(user("where is order ACME-1042")).tool_calls == (
        ToolCall(name="lookup_order", arguments={"order_id": "ACME-1042"}),
    )
    with pytest.raises(ValueError, match="cannot load script"):
        named_script("harness.scenario:nothing_here")


def test_tokens_rebuild_the_text() -> None:
    text = "Hello  there, order ACME-1042 shipped. "
    assert "".join(split_tokens(text)) == text
    assert len(split_tokens(text)) == 5
    assert split_tokens("") == [] and count_tokens("") == 0
    assert count_tokens("12345678") == 2
