"""The shared scenario's scripted model: which caller sentences make it look an order up."""

from __future__ import annotations

import pytest

from harness.scenario import acme_script, support_script
from simulators import Conversation, Message, Reply, ToolCall

pytestmark = pytest.mark.unit


def user(text: str, tools: tuple[str, ...] = ("lookup_order",)) -> Conversation:
    return Conversation(messages=(Message(role="user", text=text),), tools=tools)


def looked_up(text: str) -> str | None:
    calls = acme_script().reply(user(text)).tool_calls
    return str(calls[0].arguments["order_id"]) if calls else None


def test_order_numbers_typed_or_spoken_are_looked_up_as_heard() -> None:
    assert acme_script().reply(user("where is order acme-1042?")) == Reply(
        tool_calls=(ToolCall(name="lookup_order", arguments={"order_id": "acme-1042"}),)
    )
    assert looked_up("my order is 55512") == "55512"
    assert looked_up("where is my order acme one zero four two") == "acme one zero four two"
    assert looked_up("Order number ten forty two, please") == "ten forty two"


def test_other_sentences_and_missing_tools_get_no_lookup() -> None:
    assert looked_up("I ordered two shirts") is None
    assert looked_up("my order two shirts") is None
    script = acme_script()
    assert script.reply(user("where is order acme-1042", tools=())) == Reply(
        text=script.default_answer
    )


def test_support_script_announces_a_lookup_and_answers_from_a_prefetched_result() -> None:
    script = support_script()
    asked = user("Please check order ACME-1042. Thank you.")
    assert script.reply(asked) == Reply(
        text="Let me pull up ACME-1042.",
        tool_calls=(ToolCall(name="lookup_order", arguments={"order_id": "ACME-1042"}),),
    )
    prefetched = Conversation(
        messages=(
            *asked.messages,
            Message(
                role="assistant",
                tool_calls=(ToolCall(name="lookup_order", arguments={"order_id": "ACME-1042"}),),
            ),
            Message(
                role="tool",
                text="Order ACME-1042 shipped with UPS on Monday and should arrive tomorrow; "
                "the tracking number is 1Z999. It contains the earbuds.",
                tool_call_id="prefetch_1",
                tool_name="lookup_order",
            ),
        ),
        tools=("lookup_order",),
    )
    assert script.reply(prefetched) == Reply(
        text="It shipped with UPS. The tracking number is 1Z999."
    )


def test_the_lookup_is_announced_only_when_the_system_prompt_asks_for_it() -> None:
    script = support_script()
    call = (ToolCall(name="lookup_order", arguments={"order_id": "ACME-1042"}),)
    question = Message(role="user", text="Please check order ACME-1042. Thank you.")

    def prompted(prompt: str) -> Conversation:
        return Conversation(
            messages=(Message(role="system", text=prompt), question), tools=("lookup_order",)
        )

    ours = prompted('Say a short phrase first, e.g. "Let me pull up order A C M E ..."')
    assert script.reply(ours) == Reply(text="Let me pull up ACME-1042.", tool_calls=call)
    other = prompted("You are a helpful customer support assistant. Be brief.")
    assert script.reply(other) == Reply(tool_calls=call)
