"""The server API (Twirp over HTTP, protobuf or JSON) for what the product and tests call:
rooms and participants, SIP transfer, agent dispatch. Every request is recorded."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from livekit.protocol import agent_dispatch, models, sip
from livekit.protocol import room as room_proto

from simulators.livekit.auth import AuthError
from simulators.livekit.room import Participant, Room, merge_attributes
from simulators.livekit.signal import access_token

if TYPE_CHECKING:
    from simulators.livekit.server import LiveKitServer

Reason = models.DisconnectReason
Handler = Callable[..., Awaitable[Message]]


@dataclass(frozen=True)
class TwirpFailure(Exception):
    """An error answer: Twirp `code`, message, HTTP status and optional metadata."""

    code: str
    msg: str
    status: int
    meta: dict[str, str] | None = None


NOT_FOUND = "not_found"


class ServerApi:
    """`POST /twirp/livekit.<Service>/<Method>`; `requests` holds (method, request) in order."""

    def __init__(self, server: LiveKitServer) -> None:
        self._server = server
        self.requests: list[tuple[str, Message]] = []
        self.transfer_failure: TwirpFailure | None = None  # set to make transfers fail
        self._methods: dict[
            tuple[str, str], tuple[type[Message], Callable[..., Awaitable[Message]]]
        ] = {
            ("RoomService", "CreateRoom"): (room_proto.CreateRoomRequest, self.create_room),
            ("RoomService", "ListRooms"): (room_proto.ListRoomsRequest, self.list_rooms),
            ("RoomService", "DeleteRoom"): (room_proto.DeleteRoomRequest, self.delete_room),
            ("RoomService", "ListParticipants"): (
                room_proto.ListParticipantsRequest,
                self.list_participants,
            ),
            ("RoomService", "GetParticipant"): (
                room_proto.RoomParticipantIdentity,
                self.get_participant,
            ),
            ("RoomService", "RemoveParticipant"): (
                room_proto.RoomParticipantIdentity,
                self.remove_participant,
            ),
            ("RoomService", "UpdateParticipant"): (
                room_proto.UpdateParticipantRequest,
                self.update_participant,
            ),
            ("SIP", "TransferSIPParticipant"): (
                sip.TransferSIPParticipantRequest,
                self.transfer_sip_participant,
            ),
            ("AgentDispatchService", "CreateDispatch"): (
                agent_dispatch.CreateAgentDispatchRequest,
                self.create_dispatch,
            ),
            ("AgentDispatchService", "ListDispatch"): (
                agent_dispatch.ListAgentDispatchRequest,
                self.list_dispatch,
            ),
            ("AgentDispatchService", "DeleteDispatch"): (
                agent_dispatch.DeleteAgentDispatchRequest,
                self.delete_dispatch,
            ),
        }

    def recorded(self, method: str) -> list[Any]:
        return [request for name, request in self.requests if name == method]

    async def handle(self, request: web.Request) -> web.Response:
        key = (request.match_info["service"], request.match_info["method"])
        if key not in self._methods:
            return _error(TwirpFailure("bad_route", f"no handler for {key[0]}/{key[1]}", 404))
        message_type, method = self._methods[key]
        body = await request.read()
        is_json = request.content_type == "application/json"
        try:
            message = message_type()
            if is_json:
                json_format.Parse(body or b"{}", message, ignore_unknown_fields=True)
            else:
                message.ParseFromString(body)
        except (DecodeError, json_format.ParseError) as exc:
            return _error(TwirpFailure("malformed", str(exc), 400))
        self.requests.append((key[1], message))
        try:
            response = await method(message, access_token(request))
        except AuthError as exc:
            code = "unauthenticated" if exc.status == 401 else "permission_denied"
            return _error(TwirpFailure(code, str(exc), exc.status))
        except TwirpFailure as failure:
            return _error(failure)
        if is_json:
            return web.json_response(json_format.MessageToDict(response))
        return web.Response(body=response.SerializeToString(), content_type="application/protobuf")

    # RoomService

    async def create_room(
        self, req: room_proto.CreateRoomRequest, token: str | None
    ) -> models.Room:
        self._server.credentials.create_claims(token)
        return self._server.rooms.get_or_create(req.name).proto()

    async def list_rooms(
        self, req: room_proto.ListRoomsRequest, token: str | None
    ) -> room_proto.ListRoomsResponse:
        self._server.credentials.verify(token)
        rooms = [r.proto() for r in self._server.rooms.by_name.values()]
        return room_proto.ListRoomsResponse(
            rooms=[r for r in rooms if not req.names or r.name in req.names]
        )

    async def delete_room(
        self, req: room_proto.DeleteRoomRequest, token: str | None
    ) -> room_proto.DeleteRoomResponse:
        self._server.credentials.create_claims(token)
        await self._server.rooms.delete(req.room, Reason.ROOM_DELETED)
        return room_proto.DeleteRoomResponse()

    async def list_participants(
        self, req: room_proto.ListParticipantsRequest, token: str | None
    ) -> room_proto.ListParticipantsResponse:
        self._server.credentials.admin_claims(token, room=req.room)
        room = self._room(req.room)
        return room_proto.ListParticipantsResponse(
            participants=[p.info for p in room.participants.values()]
        )

    async def get_participant(
        self, req: room_proto.RoomParticipantIdentity, token: str | None
    ) -> models.ParticipantInfo:
        self._server.credentials.admin_claims(token, room=req.room)
        return self._participant(req.room, req.identity).info

    async def remove_participant(
        self, req: room_proto.RoomParticipantIdentity, token: str | None
    ) -> room_proto.RemoveParticipantResponse:
        self._server.credentials.admin_claims(token, room=req.room)
        participant = self._participant(req.room, req.identity)
        await participant.kick(Reason.PARTICIPANT_REMOVED)
        await self._room(req.room).remove(participant, Reason.PARTICIPANT_REMOVED)
        return room_proto.RemoveParticipantResponse()

    async def update_participant(
        self, req: room_proto.UpdateParticipantRequest, token: str | None
    ) -> models.ParticipantInfo:
        self._server.credentials.admin_claims(token, room=req.room)
        participant = self._participant(req.room, req.identity)
        info = participant.info
        if req.name:
            info.name = req.name
        if req.metadata:
            info.metadata = req.metadata
        if req.HasField("permission"):
            info.permission.CopyFrom(req.permission)
        if req.attributes:
            merged = merge_attributes(info.attributes, req.attributes)
            info.attributes.clear()
            info.attributes.update(merged)
        participant.changed()
        await self._room(req.room).broadcast(participant)
        return info

    # SIP

    async def transfer_sip_participant(
        self, req: sip.TransferSIPParticipantRequest, token: str | None
    ) -> sip.TransferSIPParticipantResponse:
        self._server.credentials.sip_call_claims(token, room=req.room_name)
        participant = self._participant(req.room_name, req.participant_identity)
        if participant.info.kind != models.ParticipantInfo.Kind.SIP:
            raise TwirpFailure("failed_precondition", "participant is not a SIP participant", 412)
        if self.transfer_failure is not None:
            raise self.transfer_failure
        # The SIP service hands the call over (REFER) and the caller's leg leaves the room.
        room = self._room(req.room_name)
        await participant.kick(Reason.PARTICIPANT_REMOVED)
        await room.remove(participant, Reason.PARTICIPANT_REMOVED)
        return sip.TransferSIPParticipantResponse()

    # AgentDispatchService

    async def create_dispatch(
        self, req: agent_dispatch.CreateAgentDispatchRequest, token: str | None
    ) -> agent_dispatch.AgentDispatch:
        self._server.credentials.admin_claims(token, room=req.room)
        room = self._server.rooms.get_or_create(req.room, dispatch_default=False)
        return self._server.agents.create_dispatch(room, req.agent_name, req.metadata)

    async def list_dispatch(
        self, req: agent_dispatch.ListAgentDispatchRequest, token: str | None
    ) -> agent_dispatch.ListAgentDispatchResponse:
        self._server.credentials.admin_claims(token, room=req.room)
        dispatches = self._server.agents.dispatches.get(req.room, [])
        return agent_dispatch.ListAgentDispatchResponse(
            agent_dispatches=[
                d for d in dispatches if not req.dispatch_id or d.id == req.dispatch_id
            ]
        )

    async def delete_dispatch(
        self, req: agent_dispatch.DeleteAgentDispatchRequest, token: str | None
    ) -> agent_dispatch.AgentDispatch:
        self._server.credentials.admin_claims(token, room=req.room)
        dispatches = self._server.agents.dispatches.get(req.room, [])
        for dispatch in dispatches:
            if dispatch.id == req.dispatch_id:
                dispatches.remove(dispatch)
                return dispatch
        raise TwirpFailure(NOT_FOUND, "dispatch not found", 404)

    def _room(self, name: str) -> Room:
        room = self._server.rooms.by_name.get(name)
        if room is None:
            raise TwirpFailure(NOT_FOUND, "requested room does not exist", 404)
        return room

    def _participant(self, room_name: str, identity: str) -> Participant:
        participant = self._room(room_name).participants.get(identity)
        if participant is None:
            raise TwirpFailure(NOT_FOUND, "participant not found", 404)
        return participant


def _error(failure: TwirpFailure) -> web.Response:
    body: dict[str, Any] = {"code": failure.code, "msg": failure.msg}
    if failure.meta:
        body["meta"] = failure.meta
    return web.json_response(body, status=failure.status)
