"""transfer_to_human and end_call under a fake job: the exact server requests, and the failure
path (an apology, and the call goes on)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from livekit import api
from livekit.agents import AgentSession, JobContext, llm
from livekit.agents.voice.events import CloseEvent

from agent.acme_agent import AcmeAgent, CallState
from agent.prompts import load_prompt
from agent.settings import TelephonyConfig
from agent.telephony.caller import sip_caller
from agent.telephony.hang_up import GOODBYE
from agent.telephony.phone_call import PhoneCall, answer_phone_call
from agent.telephony.transfer import TRANSFER_FAILED, TRANSFER_SENTENCE
from tests.scripted_llm import Call, Rule, ScriptedLLM
from tests.telephony.livekit_fakes import (
    JORDAN_IDENTITY,
    ROOM_NAME,
    RecordingApi,
    sip_participant,
)
from tools.store import OrderStore
from tools.support import SupportDesk

pytestmark = pytest.mark.unit

SUPPORT_LINE = "tel:+15105550100"
RULES: list[Rule] = [
    (r"speak to a (person|human)", lambda m: Call("transfer_to_human", {})),
    (r"that's all", lambda m: Call("end_call", {})),
    (r"where is order (\S+?)\??$", lambda m: Call("lookup_order", {"order_id": m[1]})),
]


def tool_names(agent: AcmeAgent) -> set[str]:
    return set(llm.ToolContext(agent.tools).function_tools)


async def answer(
    job: JobContext, session: AgentSession[CallState], *, transfer_to: str = SUPPORT_LINE
) -> PhoneCall:
    caller = sip_caller(sip_participant())
    assert caller is not None
    return await answer_phone_call(
        job=job,
        session=session,
        caller=caller,
        config=TelephonyConfig(transfer_to=transfer_to),
        instructions=load_prompt("support"),
        greeting=load_prompt("greeting"),
    )


@pytest.fixture
async def session(store: OrderStore) -> AsyncIterator[AgentSession[CallState]]:
    state = CallState(desk=SupportDesk(store=store))
    async with AgentSession[CallState](llm=ScriptedLLM(RULES), userdata=state) as sess:
        yield sess


async def test_tools_offered_only_on_phone_calls_with_a_transfer_target(
    job: JobContext, session: AgentSession[CallState]
) -> None:
    browser = AcmeAgent(instructions=load_prompt("support"), greeting=load_prompt("greeting"))
    assert not tool_names(browser) & {"transfer_to_human", "end_call"}
    assert "lookup_order" in tool_names(browser)

    with_transfer = (await answer(job, session)).agent()
    assert {"transfer_to_human", "end_call", "lookup_order"} <= tool_names(with_transfer)

    without_transfer = (await answer(job, session, transfer_to="")).agent()
    assert "end_call" in tool_names(without_transfer)
    assert "transfer_to_human" not in tool_names(without_transfer)


async def test_transfer_says_one_sentence_then_cold_transfers_the_caller(
    job: JobContext, session: AgentSession[CallState], server_api: RecordingApi
) -> None:
    phone = await answer(job, session)
    await session.start(phone.agent())

    result = await session.run(user_input="Can I speak to a person please?")
    result.expect.next_event().is_function_call(name="transfer_to_human")
    said = result.expect.next_event().is_message(role="assistant").event().item
    assert said.text_content == TRANSFER_SENTENCE
    result.expect.next_event().is_function_call_output(is_error=False)
    result.expect.no_more_events()  # nothing more is said to a caller who has left

    assert server_api.requests == [
        api.TransferSIPParticipantRequest(
            room_name=ROOM_NAME,
            participant_identity=JORDAN_IDENTITY,
            transfer_to=SUPPORT_LINE,
            play_dialtone=False,
        ),
        api.DeleteRoomRequest(room=ROOM_NAME),  # the caller is gone: free the room
    ]
    await phone.aclose()


async def test_failed_transfer_apologizes_and_the_call_goes_on(
    job: JobContext, session: AgentSession[CallState], server_api: RecordingApi, store: OrderStore
) -> None:
    server_api.fail_transfer = True
    phone = await answer(job, session)
    await session.start(phone.agent())

    result = await session.run(user_input="I want to speak to a human")
    result.expect.next_event().is_function_call(name="transfer_to_human")
    result.expect.next_event().is_message(role="assistant")  # the transfer sentence
    failed = result.expect.next_event().is_function_call_output(is_error=True).event().item
    assert failed.output == TRANSFER_FAILED
    apology = result.expect.next_event().is_message(role="assistant").event().item
    assert "sorry" in (apology.text_content or "").lower()
    assert [type(r) for r in server_api.requests] == [api.TransferSIPParticipantRequest]

    order = await store.get_order("ACME-1042")
    assert order is not None and order.tracking_number
    after = await session.run(user_input="Where is order ACME-1042?")
    after.expect.next_event().is_function_call(name="lookup_order")
    out = after.expect.next_event().is_function_call_output(is_error=False).event().item
    assert order.tracking_number in out.output
    assert [type(r) for r in server_api.requests] == [api.TransferSIPParticipantRequest]
    await phone.aclose()


async def test_end_call_says_goodbye_then_deletes_the_room(
    job: JobContext, session: AgentSession[CallState], server_api: RecordingApi
) -> None:
    closed = asyncio.Event()

    @session.on("close")
    def _closed(_: CloseEvent) -> None:
        closed.set()

    phone = await answer(job, session)
    await session.start(phone.agent())

    result = await session.run(user_input="No, that's all, thanks. Bye!")
    result.expect.next_event().is_function_call(name="end_call")
    goodbye = result.expect.next_event().is_message(role="assistant").event().item
    assert goodbye.text_content == GOODBYE
    result.expect.next_event().is_function_call_output(is_error=False)
    result.expect.no_more_events()

    assert server_api.requests == [api.DeleteRoomRequest(room=ROOM_NAME)]
    await asyncio.wait_for(closed.wait(), 10)  # the agent leaves too
    await phone.aclose()


async def test_hang_up_still_leaves_when_the_server_refuses(
    job: JobContext, session: AgentSession[CallState], server_api: RecordingApi
) -> None:
    server_api.fail_delete = True
    shutdowns: list[str] = []
    job._on_shutdown = shutdowns.append  # the worker's hook: records instead of exiting
    phone = await answer(job, session)
    await session.start(phone.agent())

    result = await session.run(user_input="that's all")
    result.expect.contains_function_call(name="end_call")
    assert server_api.requests == [api.DeleteRoomRequest(room=ROOM_NAME)]
    assert len(shutdowns) == 1
    await phone.aclose()
