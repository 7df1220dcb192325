"""`python agent/main.py dev` against the local LiveKit server: the worker registers, is
dispatched into a new room, and a caller on the real Python rtc SDK hears the greeting, asks
about an order by voice and hears the answer from the store, with live transcriptions of both
sides and the agent's state in its participant attributes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from livekit import rtc

from harness import CallerSpeech
from harness.scenario import GREETING, ORDER_QUESTION
from simulators.livekit import LiveKitServerThread
from simulators.livekit.caller import RoomCaller, join_token
from simulators.server import SimulatorThread
from tests.livekit.worker import WorkerProcess, worker_env
from tools.stores import open_store

pytestmark = pytest.mark.integration

AGENT_STATE = "lk.agent.state"
AGENT = rtc.ParticipantKind.PARTICIPANT_KIND_AGENT


async def tracking_number(workdir: Path, order_id: str) -> str:
    store = await open_store(f"sqlite:///{workdir / 'acme.db'}", seed=False)
    try:
        order = await store.get_order(order_id)
    finally:
        await store.close()
    assert order is not None and order.tracking_number
    return order.tracking_number


async def test_dev_worker_answers_a_spoken_order_question_over_webrtc(
    livekit: LiveKitServerThread,
    providers: SimulatorThread,
    say_at: Callable[[str, int], CallerSpeech],
    tmp_path: Path,
) -> None:
    question = await asyncio.to_thread(say_at, ORDER_QUESTION.spoken, 48000)
    env = worker_env(livekit, providers, tmp_path)
    with WorkerProcess("dev", env=env, workdir=tmp_path, name="dev") as worker:
        agents = livekit.server.agents
        await asyncio.to_thread(
            worker.wait_until, "registration", lambda: bool(agents.registrations)
        )
        assert [name for _, name in agents.registrations] == [""]  # unnamed: automatic dispatch

        caller = RoomCaller()
        credentials = livekit.server.credentials
        token = join_token(
            credentials.api_key, credentials.api_secret, room="support-1", identity="pat"
        )
        await caller.connect(livekit.url, token)
        try:
            agent_identity = await wait_for_agent(caller)
            jobs = agents.jobs_in("support-1")
            assert [job.identity for job in jobs] == [agent_identity]

            await caller.wait("the greeting", lambda: agent_said(caller, GREETING), within=60)
            agent_track = next(t.track_sid for t in caller.transcripts if t.text == GREETING)

            providers.simulator.script.hear(ORDER_QUESTION.heard)
            spoke_at = time.monotonic()
            await caller.say(question.pcm, question.sample_rate)
            tracking = await tracking_number(tmp_path, "ACME-1042")
            await caller.wait("the answer", lambda: agent_said(caller, tracking), within=60)
            await caller.wait(
                "the answer's audio", lambda: caller.heard_since(spoke_at) > 1.0, within=30
            )

            own_track = caller.mic.sid
            mine = [t.text for t in caller.transcripts if t.track_sid == own_track and t.final]
            assert " ".join(mine) == ORDER_QUESTION.heard  # a segment per final, in order
            assert {t.track_sid for t in caller.transcripts} == {own_track, agent_track}
            states = caller.states(agent_identity, AGENT_STATE)
            assert is_subsequence(["listening", "thinking", "speaking"], states), states
        finally:
            await caller.hang_up()

        await asyncio.to_thread(
            worker.wait_until,
            "the job to end",
            lambda: bool(worker.logged("call summary")) or "support-1" not in rooms(livekit),
        )
        records = worker.transcript_records()
        said = [r["text"] for r in records if r.get("type") == "message"]
        assert ORDER_QUESTION.heard in said
        assert any(tracking in text for text in said)


async def wait_for_agent(caller: RoomCaller) -> str:
    def agent_present() -> bool:
        return any(p.kind == AGENT for p in caller.room.remote_participants.values())

    await caller.wait("the agent to join", agent_present, within=60)
    return next(p.identity for p in caller.room.remote_participants.values() if p.kind == AGENT)


def agent_said(caller: RoomCaller, text: str) -> bool:
    return any(text in t.text for t in caller.transcripts if t.sender != caller.identity)


def rooms(livekit: LiveKitServerThread) -> set[str]:
    return set(livekit.server.rooms.by_name)


def is_subsequence(wanted: list[str], seen: list[str]) -> bool:
    it = iter(seen)
    return all(any(x == w for x in it) for w in wanted)
