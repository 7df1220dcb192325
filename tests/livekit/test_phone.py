"""Phone calls through the local LiveKit server: a SIP participant (kind SIP, the SIP service's
attributes, 8 kHz phone audio) in a room whose configuration comes from
`config/sip/dispatch-rule.json`. The named worker is dispatched, recognizes the caller before
the greeting, takes keypad digits, and its transfer and hang-up reach the server API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from livekit import api as lkapi
from livekit import rtc
from livekit.protocol import agent

from harness import CallerSpeech
from harness.scenario import greet, lookup_order_when_mentioned, tracking_answer
from simulators import Latency, ProviderSimulator, Script, on_user_says
from simulators.livekit import LiveKitServerThread, TwirpFailure
from simulators.livekit.caller import PHONE_RATE, RoomCaller, join_token
from simulators.server import SimulatorThread
from tests.livekit.test_dev_worker import wait_for_agent
from tests.livekit.worker import ROOT, WorkerProcess, worker_env

pytestmark = pytest.mark.integration

RULE = json.loads((ROOT / "config" / "sip" / "dispatch-rule.json").read_text())["dispatch_rule"]
AGENT_NAME = RULE["roomConfig"]["agents"][0]["agentName"]
SUPPORT_LINE = "+15105550100"
JORDAN = "+14155550142"  # on ACME-1042's account in the seeded store
ASK_FOR_PERSON = "I would like to speak to a person. Thank you."
DONE = "No, that's all. Thank you."


@pytest.fixture(scope="module")
def providers() -> Iterator[SimulatorThread]:
    script = Script(
        rules=[
            greet,
            on_user_says("speak to a person").call_tool("transfer_to_human", {}),
            on_user_says("that's all").call_tool("end_call", {}),
            lookup_order_when_mentioned(),
            tracking_answer(),
        ]
    )
    sim = ProviderSimulator.run_in_thread(script=script, latency=Latency.instant())
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture(scope="module")
def phone_worker(
    livekit: LiveKitServerThread,
    providers: SimulatorThread,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WorkerProcess]:
    workdir = tmp_path_factory.mktemp("phone-worker")
    env = worker_env(
        livekit,
        providers,
        workdir,
        ACME_AGENT_NAME=AGENT_NAME,
        ACME_TRANSFER_TO=SUPPORT_LINE,
        ACME_TRUST_CALLER_ID="true",
    )
    with WorkerProcess("dev", env=env, workdir=workdir, name="phone") as worker:
        agents = livekit.server.agents
        worker.wait_until(
            "registration", lambda: AGENT_NAME in {n for _, n in agents.registrations}
        )
        yield worker


async def phone_call(livekit: LiveKitServerThread, room: str, call_id: str) -> RoomCaller:
    """What the SIP service does for an inbound call: a SIP participant joins a room created
    with the dispatch rule's room configuration."""
    attributes = {
        "sip.phoneNumber": JORDAN,
        "sip.trunkPhoneNumber": SUPPORT_LINE,
        "sip.callID": call_id,
        "sip.trunkID": "ST_acmeinbound",
        "sip.ruleID": "SDR_acmesupport",
        "sip.callStatus": "active",
    }
    credentials = livekit.server.credentials
    token = join_token(
        credentials.api_key,
        credentials.api_secret,
        room=room,
        identity=f"sip_{JORDAN}",
        kind="sip",
        attributes=attributes,
        agent_name=AGENT_NAME,
    )
    caller = RoomCaller(sample_rate=PHONE_RATE)
    await caller.connect(livekit.url, token)
    return caller


@pytest.fixture
async def speech(
    say_at: Callable[[str, int], CallerSpeech],
) -> AsyncIterator[dict[str, CallerSpeech]]:
    texts = (ASK_FOR_PERSON, DONE)
    made = await asyncio.gather(*(asyncio.to_thread(say_at, t, PHONE_RATE) for t in texts))
    yield dict(zip(texts, made, strict=True))


def agent_spoke(caller: RoomCaller, *, after: int = 0) -> int:
    return len([t for t in caller.transcripts[after:] if t.sender != caller.identity and t.final])


def first_system_prompt(request: dict[str, Any]) -> str:
    return next(str(m["content"]) for m in request["messages"] if m["role"] == "system")


async def test_recognized_caller_keys_an_order_then_is_transferred(
    livekit: LiveKitServerThread,
    providers: SimulatorThread,
    phone_worker: WorkerProcess,
    speech: dict[str, CallerSpeech],
) -> None:
    received = providers.simulator.received
    before = len(received.llm_requests)
    api = livekit.server.api
    caller = await phone_call(livekit, "call-_+14155550142_aB3x", "SCL_first")
    try:
        await caller.wait("the greeting", lambda: agent_spoke(caller) >= 1)
        greeting_request = received.llm_requests[before]
        assert "Jordan" in first_system_prompt(greeting_request)  # recognized before greeting

        spoken = len(caller.transcripts)
        await caller.press("1042#")
        await caller.wait(
            "the keyed order's answer", lambda: agent_spoke(caller, after=spoken) >= 1
        )
        user_turns = [
            str(m.get("content"))
            for m in received.llm_requests[-1]["messages"]
            if m["role"] == "user"
        ]
        assert any("ACME-1042" in turn for turn in user_turns)  # the digits reached the agent
        assert any(r.name == "lookup_order" for r in received.tool_results)

        providers.simulator.script.hear(ASK_FOR_PERSON)
        await caller.say(speech[ASK_FOR_PERSON].pcm, PHONE_RATE)
        await caller.wait("the transfer", caller.disconnected.is_set, within=60)
    finally:
        await caller.aclose()
    (transfer,) = api.recorded("TransferSIPParticipant")
    assert transfer.room_name == "call-_+14155550142_aB3x"
    assert transfer.participant_identity == f"sip_{JORDAN}"
    assert transfer.transfer_to in (f"tel:{SUPPORT_LINE}", SUPPORT_LINE)
    # The job ends once the caller is gone: until then its speech recognition could still take
    # the next call's scripted words (one provider simulator serves every call).
    await asyncio.to_thread(
        phone_worker.wait_until,
        "the transferred call's job to end",
        lambda: any(
            r.get("room") == transfer.room_name for r in phone_worker.logged("call summary")
        ),
    )


async def test_failed_transfer_keeps_the_call_and_end_call_deletes_the_room(
    livekit: LiveKitServerThread,
    providers: SimulatorThread,
    phone_worker: WorkerProcess,
    speech: dict[str, CallerSpeech],
) -> None:
    api = livekit.server.api
    api.transfer_failure = TwirpFailure("unavailable", "SIP REFER rejected: 503", 503)
    room = "call-_+14155550142_Zq81"
    transfers = len(api.recorded("TransferSIPParticipant"))
    reasons: list[rtc.DisconnectReason.ValueType] = []
    caller = await phone_call(livekit, room, "SCL_second")
    caller.room.on("disconnected", reasons.append)
    try:
        await caller.wait("the greeting", lambda: agent_spoke(caller) >= 1)
        spoken = len(caller.transcripts)
        providers.simulator.script.hear(ASK_FOR_PERSON)
        await caller.say(speech[ASK_FOR_PERSON].pcm, PHONE_RATE)
        await caller.wait(
            "the failed transfer",
            lambda: (
                len(api.recorded("TransferSIPParticipant")) > transfers
                and agent_spoke(caller, after=spoken) >= 2
            ),  # the transfer sentence, then sorry
        )
        assert not caller.disconnected.is_set()
        assert [r.room for r in api.recorded("DeleteRoom")].count(room) == 0

        providers.simulator.script.hear(DONE)
        await caller.say(speech[DONE].pcm, PHONE_RATE)
        await caller.wait("the hang-up", caller.disconnected.is_set, within=60)
    finally:
        api.transfer_failure = None
        await caller.aclose()
    assert room in [r.room for r in api.recorded("DeleteRoom")]
    assert reasons == [rtc.DisconnectReason.ROOM_DELETED]


async def test_dispatch_api_sends_the_named_agent_and_deleting_the_room_ends_its_job(
    livekit: LiveKitServerThread, phone_worker: WorkerProcess
) -> None:
    room = "escalation-7"
    credentials = livekit.server.credentials
    agents = livekit.server.agents
    async with lkapi.LiveKitAPI(
        livekit.server.http_url, credentials.api_key, credentials.api_secret
    ) as server_api:
        request = lkapi.CreateAgentDispatchRequest(agent_name=AGENT_NAME, room=room)
        dispatch = await server_api.agent_dispatch.create_dispatch(request)
        listed = await server_api.agent_dispatch.list_dispatch(room_name=room)
        assert [d.id for d in listed] == [dispatch.id]

        token = join_token(credentials.api_key, credentials.api_secret, room=room, identity="sam")
        caller = RoomCaller()
        await caller.connect(livekit.url, token)  # no room configuration: the API dispatched it
        try:
            await wait_for_agent(caller)
            await caller.wait("the greeting", lambda: agent_spoke(caller) >= 1)
            (job,) = agents.jobs_in(room)
            assert job.job.agent_name == AGENT_NAME and job.job.dispatch_id == dispatch.id

            update = lkapi.UpdateParticipantRequest(
                room=room, identity="sam", attributes={"tier": "gold"}
            )
            await server_api.room.update_participant(update)
            await caller.wait("the new attribute", lambda: caller.states("sam", "tier") == ["gold"])

            await server_api.room.delete_room(lkapi.DeleteRoomRequest(room=room))
            await caller.wait("the room to close", caller.disconnected.is_set)
        finally:
            await caller.aclose()

    def job_ended() -> bool:
        return any(
            job_id == job.job.id and status != agent.JobStatus.JS_RUNNING
            for job_id, status in agents.job_updates
        )

    await asyncio.to_thread(phone_worker.wait_until, "the worker to end the job", job_ended)
