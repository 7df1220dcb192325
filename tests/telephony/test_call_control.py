"""transfer_to_human and end_call in a job as a worker runs it: the requests the job's real
LiveKit API client sends (to a recording Twirp server on 127.0.0.1), and the failure paths (an
apology, and the call goes on)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from livekit import api
from livekit.agents import AgentSession, JobContext, llm, utils
from livekit.agents.voice.events import CloseEvent

from agent.acme_agent import AcmeAgent, CallState
from agent.prompts import load_prompt
from agent.settings import TelephonyConfig
from agent.telephony.caller import sip_caller
from agent.telephony.hang_up import GOODBYE
from agent.telephony.phone_call import PhoneCall, answer_phone_call
from agent.telephony.transfer import TRANSFER_FAILED, TRANSFER_SENTENCE
from tests.scripted_llm import Call, Rule, ScriptedLLM
from tests.telephony.livekit_fakes import JORDAN_IDENTITY, ROOM_NAME, NamedRoom, sip_participant
from tests.telephony.livekit_server_api import ServerApi, end_job, live_job, serving
from tools.store import OrderStore
from tools.support import SupportDesk

pytestmark = pytest.mark.integration

SUPPORT_LINE = "tel:+15105550100"
TRANSFER = "/twirp/livekit.SIP/TransferSIPParticipant"
RULES: list[Rule] = [
    (r"speak to a (person|human)", lambda m: Call("transfer_to_human", {})),
    (r"that's all", lambda m: Call("end_call", {})),
    (r"where is order (\S+?)\??$", lambda m: Call("lookup_order", {"order_id": m[1]})),
]


def tool_names(agent: AcmeAgent) -> set[str]:
    return set(llm.ToolContext(agent.tools).function_tools)


@pytest.fixture
async def server() -> AsyncIterator[tuple[ServerApi, str]]:
    recorder = ServerApi()
    async with serving(recorder) as url:
        yield recorder, url


@pytest.fixture
async def job(
    server: tuple[ServerApi, str], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[JobContext, list[str]]]:
    shutdowns: list[str] = []
    async with utils.http_context.open():
        with live_job(NamedRoom(), server[1], monkeypatch, shutdowns) as ctx:
            yield ctx, shutdowns


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
    job: tuple[JobContext, list[str]], session: AgentSession[CallState]
) -> None:
    browser = AcmeAgent(instructions=load_prompt("support"), greeting=load_prompt("greeting"))
    assert not tool_names(browser) & {"transfer_to_human", "end_call"}
    assert "lookup_order" in tool_names(browser)

    with_transfer = (await answer(job[0], session)).agent()
    assert {"transfer_to_human", "end_call", "lookup_order"} <= tool_names(with_transfer)

    without_transfer = (await answer(job[0], session, transfer_to="")).agent()
    assert "end_call" in tool_names(without_transfer)
    assert "transfer_to_human" not in tool_names(without_transfer)


async def test_transfer_says_one_sentence_then_cold_transfers_the_caller(
    job: tuple[JobContext, list[str]],
    session: AgentSession[CallState],
    server: tuple[ServerApi, str],
) -> None:
    ctx, shutdowns = job
    phone = await answer(ctx, session)
    await session.start(phone.agent())

    result = await session.run(user_input="Can I speak to a person please?")
    result.expect.next_event().is_function_call(name="transfer_to_human")
    said = result.expect.next_event().is_message(role="assistant").event().item
    assert said.text_content == TRANSFER_SENTENCE
    result.expect.next_event().is_function_call_output(is_error=False)
    result.expect.no_more_events()  # nothing more is said to a caller who has left

    recorder = server[0]
    assert recorder.requests == [
        api.TransferSIPParticipantRequest(
            room_name=ROOM_NAME,
            participant_identity=JORDAN_IDENTITY,
            transfer_to=SUPPORT_LINE,
            play_dialtone=False,
            ringing_timeout=recorder.requests[0].ringing_timeout,  # the client pins it
        ),
        api.DeleteRoomRequest(room=ROOM_NAME),  # the caller is gone: free the room
    ]
    assert all(recorder.authorized)
    assert shutdowns == ["caller transferred"]
    await phone.aclose()


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (
            412,
            {
                "code": "failed_precondition",
                "msg": "SIP REFER rejected",
                "meta": {"sip_status_code": "603", "sip_status": "Decline"},
            },
        ),
        (404, {"code": "not_found", "msg": "participant not found"}),
    ],
)
async def test_failed_transfer_apologizes_and_the_call_goes_on(
    job: tuple[JobContext, list[str]],
    session: AgentSession[CallState],
    server: tuple[ServerApi, str],
    store: OrderStore,
    status: int,
    body: dict[str, object],
) -> None:
    ctx, shutdowns = job
    recorder = server[0]
    recorder.refuse[TRANSFER] = (status, body)
    phone = await answer(ctx, session)
    await session.start(phone.agent())

    result = await session.run(user_input="I want to speak to a human")
    result.expect.next_event().is_function_call(name="transfer_to_human")
    result.expect.next_event().is_message(role="assistant")  # the transfer sentence
    failed = result.expect.next_event().is_function_call_output(is_error=True).event().item
    assert failed.output == TRANSFER_FAILED
    apology = result.expect.next_event().is_message(role="assistant").event().item
    assert "sorry" in (apology.text_content or "").lower()
    assert [type(r) for r in recorder.requests] == [api.TransferSIPParticipantRequest]

    order = await store.get_order("ACME-1042")
    assert order is not None and order.tracking_number
    after = await session.run(user_input="Where is order ACME-1042?")
    after.expect.next_event().is_function_call(name="lookup_order")
    out = after.expect.next_event().is_function_call_output(is_error=False).event().item
    assert order.tracking_number in out.output
    assert [type(r) for r in recorder.requests] == [api.TransferSIPParticipantRequest]
    assert shutdowns == []
    await phone.aclose()


async def test_end_call_says_goodbye_then_deletes_the_room(
    job: tuple[JobContext, list[str]],
    session: AgentSession[CallState],
    server: tuple[ServerApi, str],
) -> None:
    ctx, shutdowns = job
    closed = asyncio.Event()

    @session.on("close")
    def _closed(_: CloseEvent) -> None:
        closed.set()

    phone = await answer(ctx, session)
    await session.start(phone.agent())

    result = await session.run(user_input="No, that's all, thanks. Bye!")
    result.expect.next_event().is_function_call(name="end_call")
    result.expect.next_event().is_function_call_output(is_error=False)
    goodbye = result.expect.next_event().is_message(role="assistant").event().item
    assert goodbye.text_content == GOODBYE
    await asyncio.wait_for(closed.wait(), 10)  # the agent leaves too
    assert shutdowns == ["user_initiated"]
    await end_job(ctx, shutdowns[0])
    assert server[0].requests == [api.DeleteRoomRequest(room=ROOM_NAME)]
    await phone.aclose()
