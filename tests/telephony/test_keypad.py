"""Keypad entry on a phone call: "1 0 4 2 #" becomes order ACME-1042 and a lookup."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from livekit import rtc
from livekit.agents import AgentSession, JobContext
from livekit.agents.llm import ChatMessage, FunctionCallOutput
from livekit.agents.voice.events import ConversationItemAddedEvent, FunctionToolsExecutedEvent

from agent.acme_agent import CallState
from agent.prompts import load_prompt
from agent.settings import TelephonyConfig
from agent.telephony.caller import sip_caller
from agent.telephony.phone_call import PhoneCall, answer_phone_call
from tests.scripted_llm import Call, Rule, ScriptedLLM
from tests.telephony.livekit_fakes import remote_participant, sip_participant
from tools.store import OrderStore
from tools.support import SupportDesk

pytestmark = pytest.mark.unit

RULES: list[Rule] = [
    (r"typed on the keypad, is (\S+?)\.$", lambda m: Call("lookup_order", {"order_id": m[1]})),
]
DTMF_CODES = {str(d): d for d in range(10)} | {"*": 10, "#": 11}


class Conversation:
    """What the session adds to its history, and the tool results, as they happen."""

    def __init__(self, session: AgentSession[CallState]) -> None:
        self.messages: list[ChatMessage] = []
        self.outputs: list[FunctionCallOutput] = []
        self.greeted = asyncio.Event()
        self.answered = asyncio.Event()
        session.on("conversation_item_added", self._on_item)
        session.on("function_tools_executed", self._on_tools)

    def _on_item(self, ev: ConversationItemAddedEvent) -> None:
        if isinstance(ev.item, ChatMessage):
            self.messages.append(ev.item)
            if ev.item.role == "assistant":
                (self.answered if self.greeted.is_set() else self.greeted).set()

    def _on_tools(self, ev: FunctionToolsExecutedEvent) -> None:
        self.outputs.extend(ev.function_call_outputs)

    def said_by(self, role: str) -> list[str]:
        return [m.text_content or "" for m in self.messages if m.role == role]


@pytest.fixture
async def call(
    job: JobContext, store: OrderStore
) -> AsyncIterator[tuple[AgentSession[CallState], ScriptedLLM, PhoneCall, Conversation]]:
    model = ScriptedLLM(RULES)
    state = CallState(desk=SupportDesk(store=store))
    async with AgentSession[CallState](llm=model, userdata=state) as session:
        caller = sip_caller(sip_participant())
        assert caller is not None
        phone = await answer_phone_call(
            job=job,
            session=session,
            caller=caller,
            config=TelephonyConfig(keypad_timeout=0.2),
            instructions=load_prompt("support"),
            greeting=load_prompt("greeting"),
        )
        conversation = Conversation(session)
        await session.start(phone.agent())
        await asyncio.wait_for(conversation.greeted.wait(), 10)
        yield session, model, phone, conversation
        await phone.aclose()


def press(room: rtc.Room, keys: str, participant: rtc.RemoteParticipant | None = None) -> None:
    sender = participant or sip_participant()
    for key in keys.split():
        room.emit("sip_dtmf_received", rtc.SipDTMF(DTMF_CODES[key], key, sender))


async def test_keyed_order_number_becomes_a_lookup(
    job: JobContext, store: OrderStore, call: tuple[object, ScriptedLLM, PhoneCall, Conversation]
) -> None:
    _, _, _, conversation = call
    order = await store.get_order("ACME-1042")
    assert order is not None and order.tracking_number

    press(job.room, "1 0 4 2 #")
    await asyncio.wait_for(conversation.answered.wait(), 10)

    assert conversation.said_by("user") == ["My order number, typed on the keypad, is ACME-1042."]
    [output] = conversation.outputs
    assert output.name == "lookup_order" and not output.is_error
    assert order.tracking_number in output.output
    assert order.tracking_number in conversation.said_by("assistant")[-1]


async def test_star_starts_over_and_a_pause_submits(
    job: JobContext, call: tuple[object, ScriptedLLM, PhoneCall, Conversation]
) -> None:
    _, _, _, conversation = call
    press(job.room, "9 9 *")
    press(job.room, "1 0 4 3")  # no pound key: submitted after keypad_timeout
    await asyncio.wait_for(conversation.answered.wait(), 10)
    assert conversation.said_by("user") == ["My order number, typed on the keypad, is ACME-1043."]
    assert [o.name for o in conversation.outputs] == ["lookup_order"]


async def test_keys_from_anyone_but_the_caller_are_ignored(
    job: JobContext, call: tuple[object, ScriptedLLM, PhoneCall, Conversation]
) -> None:
    _, _, _, conversation = call
    other = remote_participant(identity="sip_+13125550107")
    press(job.room, "1 0 4 2", participant=other)
    job.room.emit("sip_dtmf_received", rtc.SipDTMF(11, "#", None))  # sent by a server SDK
    press(job.room, "1 0 4 3 #")
    await asyncio.wait_for(conversation.answered.wait(), 10)
    assert conversation.said_by("user") == ["My order number, typed on the keypad, is ACME-1043."]


async def test_too_few_digits_ask_to_type_again_without_a_lookup(
    job: JobContext, call: tuple[object, ScriptedLLM, PhoneCall, Conversation]
) -> None:
    _, model, _, conversation = call
    press(job.room, "1 2 #")
    await asyncio.wait_for(conversation.answered.wait(), 10)
    told = model.requests[-1].items[-1]
    assert told.type == "message" and told.role == "system"
    assert "not an order number" in (told.text_content or "")
    assert "pound key" in (told.text_content or "")
    assert conversation.outputs == []
    assert conversation.said_by("user") == []


async def test_keys_before_the_agent_starts_are_dropped_quietly(
    job: JobContext, store: OrderStore, caplog: pytest.LogCaptureFixture
) -> None:
    state = CallState(desk=SupportDesk(store=store))
    async with AgentSession[CallState](llm=ScriptedLLM(RULES), userdata=state) as session:
        caller = sip_caller(sip_participant())
        assert caller is not None
        phone = await answer_phone_call(
            job=job,
            session=session,
            caller=caller,
            config=TelephonyConfig(),
            instructions=load_prompt("support"),
            greeting=load_prompt("greeting"),
        )
        press(job.room, "1 0 4 2 #")  # while the caller is still being looked up
        await asyncio.gather(*phone.keypad._tasks)
        assert "keypad entry while the agent is not running" in caplog.text
        await phone.aclose()
