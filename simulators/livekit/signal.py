"""The signal connection (`/rtc`): join with a token, negotiate WebRTC, relay requests to the room.

Dual peer connection mode (`/rtc`, protocol 16+): the server offers the subscriber connection
first (`subscriber_primary`), the client offers its publisher connection when it publishes.
`/rtc/v1` (single peer connection) answers 404, which makes clients fall back to `/rtc`, as they
do against a server that predates it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web
from livekit.protocol import models
from livekit.protocol import rtc as proto

from simulators.livekit.auth import AuthError, new_sid
from simulators.livekit.peer import PeerPair
from simulators.livekit.room import Participant, Room, merge_attributes

if TYPE_CHECKING:
    from simulators.livekit.server import LiveKitServer

logger = logging.getLogger("simulators.livekit")

SERVER_VERSION = "1.9.0"
PROTOCOL = 16
PING_INTERVAL_S = 5
PING_TIMEOUT_S = 15
Reason = models.DisconnectReason
SERVER: web.AppKey[LiveKitServer] = web.AppKey("livekit_server")


def access_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ")
    return request.query.get("access_token")


async def validate(request: web.Request) -> web.Response:
    """`GET /rtc/validate`: what clients ask when the WebSocket upgrade failed."""
    server: LiveKitServer = request.app[SERVER]
    try:
        server.credentials.join_claims(access_token(request))
    except AuthError as exc:
        return web.Response(status=exc.status, text=str(exc))
    return web.Response(text="success")


async def single_pc_not_supported(request: web.Request) -> web.Response:
    return web.Response(status=404, text="404 page not found")


async def rtc(request: web.Request) -> web.StreamResponse:
    server: LiveKitServer = request.app[SERVER]
    try:
        claims, room_name = server.credentials.join_claims(access_token(request))
    except AuthError as exc:
        return web.Response(status=exc.status, text=str(exc))
    if request.query.get("reconnect") == "1":
        # No session resumption: the client then reconnects from scratch (a full join).
        return web.Response(status=404, text="participant not found; rejoin")

    ws = web.WebSocketResponse(max_msg_size=0)
    await ws.prepare(request)
    send_lock = asyncio.Lock()

    async def send(message: proto.SignalResponse) -> None:
        async with send_lock:
            if not ws.closed:
                await ws.send_bytes(message.SerializeToString())

    room = server.rooms.get_or_create(room_name, room_config=claims.room_config)
    if (old := room.participants.get(claims.identity)) is not None:
        await old.kick(Reason.DUPLICATE_IDENTITY)
        await room.remove(old, Reason.DUPLICATE_IDENTITY)

    video = claims.video
    assert video is not None
    now = time.time()
    info = models.ParticipantInfo(
        sid=new_sid("PA_"),
        identity=claims.identity,
        name=claims.name,
        metadata=claims.metadata,
        attributes=claims.attributes or {},
        state=models.ParticipantInfo.State.JOINED,
        kind=server.credentials.participant_kind(claims),
        joined_at=int(now),
        joined_at_ms=int(now * 1000),
        version=1,
        permission=models.ParticipantPermission(
            can_subscribe=video.can_subscribe,
            can_publish=video.can_publish,
            can_publish_data=video.can_publish_data,
            can_update_metadata=bool(video.can_update_own_metadata or video.agent),
            hidden=bool(video.hidden),
            agent=bool(video.agent),
        ),
    )
    participant = Participant(info=info, send=send)
    participant.peers = PeerPair(
        send=send,
        on_data=lambda label, data: room.data_received(participant, label, data),
        on_track=lambda track: room.track_arrived(participant, track),
        on_connected=lambda: _activate(room, participant),
    )
    join = proto.JoinResponse(
        room=room.proto(),
        participant=info,
        other_participants=[p.info for p in room.participants.values()],
        server_version=SERVER_VERSION,
        subscriber_primary=True,
        ping_interval=PING_INTERVAL_S,
        ping_timeout=PING_TIMEOUT_S,
        server_info=models.ServerInfo(
            edition=models.ServerInfo.Edition.Standard,
            version=SERVER_VERSION,
            protocol=PROTOCOL,
            node_id="ND_local",
        ),
    )
    # In the room from the same instant as the snapshot above, so no update falls between;
    # the join response is still sent first (sends are queued in order on the lock).
    room.add(participant)
    room.forward_existing(participant)
    await send(proto.SignalResponse(join=join))
    server.events.append(("joined", room_name, claims.identity))
    await participant.peers.offer_subscriber()
    await room.broadcast(participant, include_self=False)

    closer = asyncio.create_task(_close_when_gone(participant, ws), name="livekit-signal-close")
    reason = Reason.CLIENT_INITIATED
    try:
        async for message in ws:
            if message.type != WSMsgType.BINARY:
                continue
            request_msg = proto.SignalRequest.FromString(message.data)
            if request_msg.WhichOneof("message") == "leave":
                break
            await _handle(room, participant, request_msg)
        else:
            reason = Reason.CLIENT_INITIATED if participant.gone.is_set() else Reason.SIGNAL_CLOSE
    except Exception:
        logger.exception("signal connection failed", extra={"identity": claims.identity})
        reason = Reason.SIGNAL_CLOSE
    finally:
        closer.cancel()
        await room.remove(participant, reason)
        server.events.append(("left", room_name, claims.identity))
        await ws.close()
    return ws


async def _close_when_gone(participant: Participant, ws: web.WebSocketResponse) -> None:
    await participant.gone.wait()
    await ws.close()


def _activate(room: Room, participant: Participant) -> None:
    if participant.info.state == models.ParticipantInfo.State.ACTIVE:
        return
    participant.info.state = models.ParticipantInfo.State.ACTIVE
    participant.changed()
    room.spawn(room.broadcast(participant))


async def _handle(room: Room, participant: Participant, request: proto.SignalRequest) -> None:
    peers = participant.peers
    assert peers is not None
    which = request.WhichOneof("message")
    if which == "offer":
        await peers.answer_publisher(request.offer)
    elif which == "answer":
        await peers.subscriber_answered(request.answer)
    elif which == "trickle":
        await peers.add_ice_candidate(request.trickle)
    elif which == "add_track":
        await _add_track(participant, request.add_track)
    elif which == "mute":
        for track in participant.info.tracks:
            if track.sid == request.mute.sid:
                track.muted = request.mute.muted
        participant.changed()
        await room.broadcast(participant)
    elif which == "update_metadata":
        await _update_metadata(room, participant, request.update_metadata)
    elif which == "ping":
        await participant.send(proto.SignalResponse(pong=request.ping))
    elif which == "ping_req":
        pong = proto.Pong(last_ping_timestamp=request.ping_req.timestamp, timestamp=_now_ms())
        await participant.send(proto.SignalResponse(pong_resp=pong))
    # subscription, track_setting, update_layers, sync_state, ...: nothing to do here


async def _add_track(participant: Participant, req: proto.AddTrackRequest) -> None:
    track = models.TrackInfo(
        sid=new_sid("TR_"),
        type=req.type,
        name=req.name,
        muted=req.muted,
        source=req.source,
        mime_type="audio/opus" if req.type == models.TrackType.AUDIO else "",
        disable_dtx=req.disable_dtx,
        stereo=req.stereo,
        stream=req.stream,
        audio_features=req.audio_features,
    )
    participant.pending_tracks[req.cid] = track
    await participant.send(
        proto.SignalResponse(track_published=proto.TrackPublishedResponse(cid=req.cid, track=track))
    )


async def _update_metadata(
    room: Room, participant: Participant, req: proto.UpdateParticipantMetadata
) -> None:
    ok = proto.RequestResponse.Reason.OK
    if not participant.info.permission.can_update_metadata:
        ok = proto.RequestResponse.Reason.NOT_ALLOWED
    else:
        if req.name:
            participant.info.name = req.name
        if req.metadata:
            participant.info.metadata = req.metadata
        if req.attributes:
            merged = merge_attributes(participant.info.attributes, req.attributes)
            participant.info.attributes.clear()
            participant.info.attributes.update(merged)
        participant.changed()
    response = proto.RequestResponse(request_id=req.request_id, reason=ok)
    await participant.send(proto.SignalResponse(request_response=response))
    if ok == proto.RequestResponse.Reason.OK:
        await room.broadcast(participant)


def _now_ms() -> int:
    return int(time.time() * 1000)
