"""A `start` worker's life against the local LiveKit server: SIGTERM during a live call lets the
call finish and then exits 0 with the transcript complete while a second worker takes the new
calls; and a call goes on when the worker's socket drops or the agent service restarts, the
worker registering again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from livekit.protocol import agent

from harness import CallerSpeech
from harness.scenario import GREETING, ORDER_QUESTION
from simulators.livekit import LiveKitServerThread
from simulators.livekit.caller import RoomCaller, join_token
from simulators.server import SimulatorThread
from tests.livekit.test_dev_worker import agent_said, tracking_number
from tests.livekit.worker import WorkerProcess, worker_env

pytestmark = pytest.mark.integration

DRAIN_TIMEOUT_S = 60


async def call(livekit: LiveKitServerThread, room: str) -> RoomCaller:
    credentials = livekit.server.credentials
    token = join_token(credentials.api_key, credentials.api_secret, room=room, identity="pat")
    caller = RoomCaller()
    await caller.connect(livekit.url, token)
    await caller.wait("the greeting", lambda: agent_said(caller, GREETING))
    return caller


async def ask_order(
    caller: RoomCaller, providers: SimulatorThread, question: CallerSpeech, workdir: Path
) -> None:
    providers.simulator.script.hear(ORDER_QUESTION.heard)
    await caller.say(question.pcm, question.sample_rate)
    tracking = await tracking_number(workdir, "ACME-1042")
    await caller.wait("the answer", lambda: agent_said(caller, tracking))


async def wait_for(what: str, check: Callable[[], bool], within: float = 60) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def test_sigterm_drains_the_live_call_while_another_worker_takes_new_calls(
    livekit: LiveKitServerThread,
    providers: SimulatorThread,
    say_at: Callable[[str, int], CallerSpeech],
    tmp_path: Path,
) -> None:
    question = await asyncio.to_thread(say_at, ORDER_QUESTION.spoken, 48000)
    agents = livekit.server.agents
    seen = len(agents.registrations)
    env = worker_env(livekit, providers, tmp_path, ACME_DRAIN_TIMEOUT=str(DRAIN_TIMEOUT_S))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    env_a = {**env, "ACME_TRANSCRIPT_DIR": str(tmp_path / "a" / "transcripts")}
    env_b = {**env, "ACME_TRANSCRIPT_DIR": str(tmp_path / "b" / "transcripts")}
    with WorkerProcess("start", env=env_a, workdir=tmp_path, name="a") as first:
        await wait_for("worker a", lambda: len(agents.registrations) > seen)
        first_id = agents.registrations[-1][0]
        live = await call(livekit, "drain-1")
        with WorkerProcess("start", env=env_b, workdir=tmp_path, name="b"):
            await wait_for("worker b", lambda: len(agents.registrations) > seen + 1)
            second_id = agents.registrations[-1][0]

            first.terminate()
            await wait_for(
                "worker a to stop taking calls",
                lambda: agents.workers[first_id].status == agent.WorkerStatus.WS_FULL,
            )
            new = await call(livekit, "drain-2")
            assert [job.worker_id for job in agents.jobs_in("drain-2")] == [second_id]

            await ask_order(live, providers, question, tmp_path)  # the draining worker answers
            assert first.proc.poll() is None
            await live.hang_up()
            code = await asyncio.to_thread(first.proc.wait, DRAIN_TIMEOUT_S)
            assert code == 0, first.tail()
            said = [r["text"] for r in first.transcript_records() if r.get("type") == "message"]
            assert said[0] == GREETING and ORDER_QUESTION.heard in said
            assert any("tracking number" in text for text in said[2:])
            await new.hang_up()


async def test_call_goes_on_when_the_worker_loses_the_server(
    livekit: LiveKitServerThread,
    providers: SimulatorThread,
    say_at: Callable[[str, int], CallerSpeech],
    tmp_path: Path,
) -> None:
    question = await asyncio.to_thread(say_at, ORDER_QUESTION.spoken, 48000)
    agents = livekit.server.agents
    env = worker_env(livekit, providers, tmp_path)
    with WorkerProcess("dev", env=env, workdir=tmp_path, name="resilient") as worker:
        seen = len(agents.registrations)
        await wait_for("registration", lambda: len(agents.registrations) > seen)
        caller = await call(livekit, "resilience-1")
        try:
            (job,) = agents.jobs_in("resilience-1")
            await livekit.call_async(agents.drop_connections)
            await wait_for("re-registration", lambda: len(agents.registrations) > seen + 1)
            await livekit.call_async(lambda: agents.restart(down_for=1.0))
            await wait_for(
                "registration after the restart", lambda: len(agents.registrations) > seen + 2
            )
            await wait_for(  # the worker reports the job it still runs (MigrateJobRequest)
                "the job to be reported", lambda: job.worker_id == agents.registrations[-1][0]
            )

            await ask_order(caller, providers, question, tmp_path)
            assert not caller.disconnected.is_set()
            assert worker.proc.poll() is None
        finally:
            await caller.hang_up()
