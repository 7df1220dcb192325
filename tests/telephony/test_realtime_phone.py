"""Phone tools in realtime mode, where there is no TTS for `say()`: the model itself speaks the
transfer sentence and the goodbye (real RealtimeModel plugin, Realtime simulator), and the job's
real LiveKit API client sends the transfer and the room deletion (recording Twirp server)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from livekit import api
from livekit.agents import AgentSession, JobContext, utils
from livekit.plugins import openai

from agent.acme_agent import CallState
from agent.prompts import load_prompt
from agent.settings import TelephonyConfig
from agent.telephony.caller import sip_caller
from agent.telephony.hang_up import GOODBYE
from agent.telephony.phone_call import answer_phone_call
from agent.telephony.transfer import TRANSFER_SENTENCE
from harness.instant_playout import InstantPlayout
from simulators import Latency, ProviderSimulator, Script, on_user_says
from tests.telephony.livekit_fakes import JORDAN_IDENTITY, ROOM_NAME, NamedRoom, sip_participant
from tests.telephony.livekit_server_api import ServerApi, end_job, live_job, serving
from tools.store import OrderStore
from tools.support import SupportDesk

pytestmark = pytest.mark.integration


@pytest.fixture
async def sim() -> AsyncIterator[ProviderSimulator]:
    script = Script(
        rules=[
            on_user_says(r"speak to a person").call_tool("transfer_to_human"),
            on_user_says(r"that's all").call_tool("end_call"),
        ]
    )
    async with ProviderSimulator(script=script, latency=Latency.instant()) as simulator:
        async with utils.http_context.open():
            yield simulator


@pytest.fixture
async def server() -> AsyncIterator[ServerApi]:
    recorder = ServerApi()
    async with serving(recorder):
        yield recorder


@pytest.fixture
def shutdowns() -> list[str]:
    return []


@pytest.fixture
def job(
    sim: ProviderSimulator,
    server: ServerApi,
    monkeypatch: pytest.MonkeyPatch,
    shutdowns: list[str],
) -> Iterator[JobContext]:
    with live_job(NamedRoom(), server.url, monkeypatch, shutdowns) as ctx:
        yield ctx


@pytest.fixture
async def session(
    sim: ProviderSimulator, job: JobContext, store: OrderStore
) -> AsyncIterator[tuple[AgentSession[CallState], InstantPlayout]]:
    model = openai.realtime.RealtimeModel(base_url=sim.openai_base_url, api_key="x")
    state = CallState(desk=SupportDesk(store=store))
    earpiece = InstantPlayout(label="earpiece")
    async with AgentSession[CallState](llm=model, userdata=state) as sess:
        sess.output.audio = earpiece
        caller = sip_caller(sip_participant())
        assert caller is not None
        phone = await answer_phone_call(
            job=job,
            session=sess,
            caller=caller,
            config=TelephonyConfig(transfer_to="tel:+15105550100"),
            instructions=load_prompt("support"),
            greeting=load_prompt("greeting"),
        )
        await sess.start(phone.agent())
        yield sess, earpiece
        await phone.aclose()


def instructions_sent(sim: ProviderSimulator) -> list[str]:
    events: list[dict[str, Any]] = sim.received.realtime_sessions[0].events
    return [
        str((e.get("response") or {}).get("instructions", ""))
        for e in events
        if e.get("type") == "response.create"
    ]


async def test_transfer_sentence_is_spoken_by_the_realtime_model(
    sim: ProviderSimulator,
    session: tuple[AgentSession[CallState], InstantPlayout],
    server: ServerApi,
) -> None:
    sess, earpiece = session
    result = await sess.run(user_input="Can I speak to a person?")
    result.expect.contains_function_call(name="transfer_to_human")
    assert any(TRANSFER_SENTENCE in text for text in instructions_sent(sim))
    assert earpiece.audio_s > 0
    [transfer, delete] = server.requests
    assert isinstance(transfer, api.TransferSIPParticipantRequest)
    assert (transfer.room_name, transfer.participant_identity, transfer.transfer_to) == (
        ROOM_NAME,
        JORDAN_IDENTITY,
        "tel:+15105550100",
    )
    assert delete == api.DeleteRoomRequest(room=ROOM_NAME)


async def test_goodbye_is_spoken_by_the_realtime_model_before_the_hang_up(
    sim: ProviderSimulator,
    session: tuple[AgentSession[CallState], InstantPlayout],
    server: ServerApi,
    job: JobContext,
    shutdowns: list[str],
) -> None:
    sess, earpiece = session
    heard_before = earpiece.audio_s
    closed = asyncio.Event()
    sess.on("close", lambda _ev: closed.set())
    result = await sess.run(user_input="No, that's all, bye")
    result.expect.contains_function_call(name="end_call")
    await asyncio.wait_for(closed.wait(), 10)  # the goodbye played, then the session ended
    assert [r.output for r in sim.received.tool_results] == [GOODBYE]
    assert earpiece.audio_s > heard_before
    assert server.requests == []  # the room goes as the job ends, not before
    await end_job(job, shutdowns[0])
    assert server.requests == [api.DeleteRoomRequest(room=ROOM_NAME)]


async def test_end_call_is_not_offered_while_greeting(
    sim: ProviderSimulator, session: tuple[AgentSession[CallState], InstantPlayout]
) -> None:
    sess, _ = session
    await sess.run(user_input="Hello")  # the greeting was requested before this turn
    greeting = next(
        e for e in sim.received.realtime_sessions[0].events if e.get("type") == "response.create"
    )
    tools = (greeting.get("response") or {}).get("tools")
    assert tools is not None and "end_call" not in [t.get("name") for t in tools]
