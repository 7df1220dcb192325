"""The LiveKit server API as the phone tools reach it: a Twirp HTTP server on 127.0.0.1 that
records each request and answers like the server, and a job whose real `JobContext.api` client
(livekit-api) sends its requests there."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from google.protobuf.message import Message
from livekit import api, rtc
from livekit.agents import JobContext, JobExecutorType, JobProcess
from livekit.agents.job import JobAcceptArguments, RunningJobInfo, _JobContextVar
from livekit.protocol import agent as agent_proto
from livekit.protocol import models

ROUTES: dict[str, tuple[type[Message], Message]] = {
    "/twirp/livekit.RoomService/DeleteRoom": (api.DeleteRoomRequest, api.DeleteRoomResponse()),
    "/twirp/livekit.SIP/TransferSIPParticipant": (
        api.TransferSIPParticipantRequest,
        api.TransferSIPParticipantResponse(
            transfer_id="ST_1", status=api.SIPTransferStatus.STS_TRANSFER_SUCCESSFUL
        ),
    ),
}


@dataclass
class ServerApi:
    """Requests received, in order; `refuse[path] = (status, twirp error body)` fails one."""

    url: str = ""
    requests: list[Message] = field(default_factory=list)
    authorized: list[bool] = field(default_factory=list)
    refuse: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)

    async def handle(self, request: web.Request) -> web.Response:
        kind, answer = ROUTES[request.path]
        self.requests.append(kind.FromString(await request.read()))
        self.authorized.append(request.headers.get("Authorization", "").startswith("Bearer "))
        if (refusal := self.refuse.get(request.path)) is not None:
            status, body = refusal
            return web.json_response(body, status=status)
        return web.Response(body=answer.SerializeToString(), content_type="application/protobuf")


@contextlib.asynccontextmanager
async def serving(server: ServerApi) -> Any:
    app = web.Application()
    for path in ROUTES:
        app.router.add_post(path, server.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield server.url
    finally:
        await runner.cleanup()


@contextlib.contextmanager
def live_job(
    room: rtc.Room, url: str, monkeypatch: pytest.MonkeyPatch, shutdowns: list[str]
) -> Iterator[JobContext]:
    """The current job, as a worker runs one (not a console job): its server API goes to `url`,
    and `JobContext.shutdown` reasons land in `shutdowns`."""
    monkeypatch.setenv("LIVEKIT_URL", url)
    monkeypatch.setenv("LIVEKIT_API_KEY", "devkey")
    monkeypatch.setenv("LIVEKIT_API_SECRET", "secret-of-at-least-thirty-two-chars")
    job = agent_proto.Job(
        id="AJ_test", room=models.Room(name=room.name, sid="RM_test"), type=agent_proto.JT_ROOM
    )
    info = RunningJobInfo(
        accept_arguments=JobAcceptArguments(identity="agent", name="", metadata=""),
        job=job,
        url=url,
        token="",
        worker_id="W_test",
        fake_job=False,
    )
    proc = JobProcess(executor_type=JobExecutorType.THREAD, user_arguments=None, http_proxy=None)
    ctx = JobContext(
        proc=proc,
        info=info,
        room=room,
        on_connect=lambda: None,
        on_shutdown=shutdowns.append,
        inference_executor=None,  # type: ignore[arg-type]  # no local models in these calls
    )
    token = _JobContextVar.set(ctx)
    try:
        yield ctx
    finally:
        _JobContextVar.reset(token)


async def end_job(ctx: JobContext, reason: str) -> None:
    """What the worker's job runner does once the job asked to shut down
    (livekit/agents/ipc/job_proc_lazy_main.py): run the shutdown callbacks, then wait for the
    requests the job still has in flight."""
    for callback in ctx._shutdown_callbacks:
        await callback(reason)
    await asyncio.gather(*ctx._pending_tasks)
