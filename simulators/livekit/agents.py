"""Agent workers (`/agent`): registration, availability, job assignment with a job token,
automatic and explicit dispatch, and job termination when a room closes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web
from livekit import api
from livekit.protocol import agent, agent_dispatch, models

from simulators.livekit.auth import AuthError, new_sid
from simulators.livekit.room import Room
from simulators.livekit.signal import PROTOCOL, SERVER_VERSION, access_token

if TYPE_CHECKING:
    from simulators.livekit.server import LiveKitServer

logger = logging.getLogger("simulators.livekit")

AVAILABILITY_TIMEOUT_S = 5.0
DISPATCH_PATIENCE_S = 15.0  # a dispatch waits this long for a worker that can take it
AGENT_NAME_ATTRIBUTE = "lk.agent.name"


@dataclass(eq=False)
class Worker:
    """A registered worker connection."""

    id: str
    agent_name: str
    ws: web.WebSocketResponse
    status: int = agent.WorkerStatus.WS_AVAILABLE
    load: float = 0.0
    answers: dict[str, asyncio.Future[agent.AvailabilityResponse]] = field(default_factory=dict)

    async def send(self, message: agent.ServerMessage) -> None:
        if not self.ws.closed:
            await self.ws.send_bytes(message.SerializeToString())


@dataclass
class JobRecord:
    job: agent.Job
    worker_id: str
    identity: str
    status: int = agent.JobStatus.JS_RUNNING


class AgentService:
    """Dispatches rooms to workers the way LiveKit does: a room whose configuration names no
    agent gets an unnamed worker; a named dispatch (token room configuration, dispatch API)
    goes to a worker registered under that name."""

    def __init__(self, server: LiveKitServer) -> None:
        self._server = server
        self.workers: dict[str, Worker] = {}
        self.jobs: dict[str, JobRecord] = {}
        self.dispatches: dict[str, list[agent_dispatch.AgentDispatch]] = {}  # by room
        self.registrations: list[tuple[str, str]] = []  # (worker id, agent name), in order
        self.job_updates: list[tuple[str, int]] = []  # (job id, JobStatus) as workers report
        self.accepting = True  # False: the agent service is down, connections are refused
        self._tasks: set[asyncio.Task[None]] = set()
        server.rooms.on_created.append(self._room_created)
        server.rooms.on_closed.append(self._room_closed)

    # worker connections

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not self.accepting:
            return web.Response(status=503, text="agent service unavailable")
        try:
            self._server.credentials.agent_claims(access_token(request))
        except AuthError as exc:
            return web.Response(status=exc.status, text=str(exc))
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        first = await ws.receive()
        if first.type != WSMsgType.BINARY:
            await ws.close()
            return ws
        register = agent.WorkerMessage.FromString(first.data).register
        worker = Worker(id=new_sid("AW_"), agent_name=register.agent_name, ws=ws)
        await worker.send(
            agent.ServerMessage(
                register=agent.RegisterWorkerResponse(
                    worker_id=worker.id,
                    server_info=models.ServerInfo(version=SERVER_VERSION, protocol=PROTOCOL),
                )
            )
        )
        self.workers[worker.id] = worker
        self.registrations.append((worker.id, worker.agent_name))
        try:
            async for message in ws:
                if message.type == WSMsgType.BINARY:
                    self._worker_message(worker, agent.WorkerMessage.FromString(message.data))
        finally:
            self.workers.pop(worker.id, None)
            for answer in worker.answers.values():
                answer.cancel()
        return ws

    def _worker_message(self, worker: Worker, message: agent.WorkerMessage) -> None:
        which = message.WhichOneof("message")
        if which == "availability":
            answer = worker.answers.pop(message.availability.job_id, None)
            if answer is not None and not answer.done():
                answer.set_result(message.availability)
        elif which == "update_worker":
            worker.status = message.update_worker.status
            worker.load = message.update_worker.load
        elif which == "update_job":
            self.job_updates.append((message.update_job.job_id, message.update_job.status))
            record = self.jobs.get(message.update_job.job_id)
            if record is not None:
                record.status = message.update_job.status
        elif which == "migrate_job":  # a reconnected worker still runs these jobs
            for job_id in message.migrate_job.job_ids:
                if job_id in self.jobs:
                    self.jobs[job_id].worker_id = worker.id
        elif which == "ping":
            pong = agent.WorkerPong(
                last_timestamp=message.ping.timestamp, timestamp=int(time.time() * 1000)
            )
            self._spawn(worker.send(agent.ServerMessage(pong=pong)))

    async def drop_connections(self) -> None:
        """Close every worker's socket, as a network cut does."""
        for worker in list(self.workers.values()):
            await worker.ws.close()

    async def restart(self, *, down_for: float) -> None:
        """The agent service goes away for `down_for` seconds (workers are refused), then is
        back; rooms and calls in progress are not touched."""
        self.accepting = False
        await self.drop_connections()
        await asyncio.sleep(down_for)
        self.accepting = True

    # dispatch

    def _room_created(self, room: Room, agents: list[agent_dispatch.RoomAgentDispatch]) -> None:
        for dispatch in agents:
            self.create_dispatch(room, dispatch.agent_name, dispatch.metadata)

    def create_dispatch(
        self, room: Room, agent_name: str, metadata: str
    ) -> agent_dispatch.AgentDispatch:
        dispatch = agent_dispatch.AgentDispatch(
            id=new_sid("AD_"), agent_name=agent_name, room=room.name, metadata=metadata
        )
        dispatch.state.created_at = time.time_ns()
        self.dispatches.setdefault(room.name, []).append(dispatch)
        self._spawn(self._dispatch(room, dispatch))
        return dispatch

    async def _dispatch(self, room: Room, dispatch: agent_dispatch.AgentDispatch) -> None:
        job = agent.Job(
            id=new_sid("AJ_"),
            dispatch_id=dispatch.id,
            type=agent.JobType.JT_ROOM,
            room=room.proto(),
            metadata=dispatch.metadata,
            agent_name=dispatch.agent_name,
            state=agent.JobState(status=agent.JobStatus.JS_PENDING),
        )
        deadline = time.monotonic() + DISPATCH_PATIENCE_S
        tried: set[str] = set()
        while not room.closed.is_set() and time.monotonic() < deadline:
            worker = self._pick(dispatch.agent_name, tried)
            if worker is None:
                tried.clear()
                await asyncio.sleep(0.2)
                continue
            tried.add(worker.id)
            if await self._assign(worker, job, room):
                dispatch.state.jobs.append(job)
                return
        logger.warning("no worker took the job", extra={"agent_name": dispatch.agent_name})

    def _pick(self, agent_name: str, tried: set[str]) -> Worker | None:
        candidates = [
            w
            for w in self.workers.values()
            if w.agent_name == agent_name
            and w.status == agent.WorkerStatus.WS_AVAILABLE
            and w.id not in tried
        ]
        return min(candidates, key=lambda w: w.load, default=None)

    async def _assign(self, worker: Worker, job: agent.Job, room: Room) -> bool:
        answer: asyncio.Future[agent.AvailabilityResponse] = asyncio.Future()
        worker.answers[job.id] = answer
        await worker.send(agent.ServerMessage(availability=agent.AvailabilityRequest(job=job)))
        try:
            response = await asyncio.wait_for(answer, AVAILABILITY_TIMEOUT_S)
        except (TimeoutError, asyncio.CancelledError):
            worker.answers.pop(job.id, None)
            return False
        if not response.available:
            return False
        identity = response.participant_identity or f"agent-{job.id}"
        attributes = dict(response.participant_attributes)
        attributes[AGENT_NAME_ATTRIBUTE] = worker.agent_name
        token = (
            api.AccessToken(self._server.credentials.api_key, self._server.credentials.api_secret)
            .with_identity(identity)
            .with_name(response.participant_name)
            .with_metadata(response.participant_metadata)
            .with_attributes(attributes)
            .with_kind("agent")
            .with_grants(
                api.VideoGrants(
                    room_join=True,
                    room=room.name,
                    can_publish=True,
                    can_subscribe=True,
                    can_publish_data=True,
                    can_update_own_metadata=True,
                    agent=True,
                )
            )
            .to_jwt()
        )
        job.state.status = agent.JobStatus.JS_RUNNING
        job.state.worker_id = worker.id
        job.state.participant_identity = identity
        self.jobs[job.id] = JobRecord(job=job, worker_id=worker.id, identity=identity)
        await worker.send(agent.ServerMessage(assignment=agent.JobAssignment(job=job, token=token)))
        return True

    async def _room_closed(self, room: Room) -> None:
        for job_id, record in list(self.jobs.items()):
            if record.job.room.name != room.name or record.status != agent.JobStatus.JS_RUNNING:
                continue
            record.status = agent.JobStatus.JS_SUCCESS
            worker = self.workers.get(record.worker_id)
            if worker is not None:
                termination = agent.JobTermination(job_id=job_id)
                await worker.send(agent.ServerMessage(termination=termination))
        self.dispatches.pop(room.name, None)

    def jobs_in(self, room_name: str) -> list[JobRecord]:
        return [r for r in self.jobs.values() if r.job.room.name == room_name]

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.drop_connections()
