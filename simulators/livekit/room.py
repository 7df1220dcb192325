"""Rooms and participants: who is in a room, what they publish, and who hears about changes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiortc import MediaStreamTrack
from livekit.protocol import models
from livekit.protocol import rtc as proto

from simulators.livekit.auth import new_sid
from simulators.livekit.peer import PeerPair, Relay, SendSignal

logger = logging.getLogger("simulators.livekit")

DISCONNECT = proto.LeaveRequest.Action.DISCONNECT


@dataclass(eq=False)
class Participant:
    """One signal connection in a room; `gone` is set when the server ends it."""

    info: models.ParticipantInfo
    send: SendSignal
    peers: PeerPair | None = None
    pending_tracks: dict[str, models.TrackInfo] = field(default_factory=dict)  # by client id
    media: dict[str, MediaStreamTrack] = field(default_factory=dict)  # by track sid
    receiving: set[str] = field(default_factory=set)  # track sids forwarded to this one
    gone: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def identity(self) -> str:
        return self.info.identity

    @property
    def sid(self) -> str:
        return self.info.sid

    def changed(self) -> None:
        self.info.version += 1

    async def kick(self, reason: models.DisconnectReason) -> None:
        """Tell the client to leave for good, then end its connection."""
        if self.gone.is_set():
            return
        leave = proto.LeaveRequest(can_reconnect=False, reason=reason, action=DISCONNECT)
        try:
            await self.send(proto.SignalResponse(leave=leave))
        finally:
            self.gone.set()


def merge_attributes(current: Mapping[str, str], update: Mapping[str, str]) -> dict[str, str]:
    """LiveKit's attribute update: keys are set, and an empty value deletes its key."""
    merged = dict(current)
    for key, value in update.items():
        if value:
            merged[key] = value
        else:
            merged.pop(key, None)
    return merged


class Room:
    """A live room: participants by identity, forwarding media and data between them."""

    def __init__(self, name: str, *, departure_timeout: float, on_empty: Callable[[Room], None]):
        now = time.time()
        self.info = models.Room(
            sid=new_sid("RM_"),
            name=name,
            empty_timeout=300,
            departure_timeout=int(departure_timeout),
            creation_time=int(now),
            creation_time_ms=int(now * 1000),
        )
        self.participants: dict[str, Participant] = {}
        self.data_packets: list[tuple[str, models.DataPacket]] = []  # (sender, packet) for tests
        self.closed = asyncio.Event()
        self._relay = Relay()
        self._departure_timeout = departure_timeout
        self._on_empty = on_empty
        self._empty_timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def name(self) -> str:
        return self.info.name

    def proto(self) -> models.Room:
        room = models.Room()
        room.CopyFrom(self.info)
        room.num_participants = len(self.participants)
        room.num_publishers = sum(1 for p in self.participants.values() if p.info.is_publisher)
        return room

    def has_callers(self) -> bool:
        agent = models.ParticipantInfo.Kind.AGENT
        return any(p.info.kind != agent for p in self.participants.values())

    def add(self, participant: Participant) -> None:
        if participant.info.kind == models.ParticipantInfo.Kind.AGENT:
            self.participants[participant.identity] = participant
            return
        if self._empty_timer is not None:
            self._empty_timer.cancel()
            self._empty_timer = None
        self.participants[participant.identity] = participant

    def others(self, participant: Participant) -> list[Participant]:
        return [p for p in self.participants.values() if p is not participant]

    async def broadcast(self, participant: Participant, *, include_self: bool = True) -> None:
        """A ParticipantUpdate about `participant` to everyone in the room."""
        update = proto.SignalResponse(
            update=proto.ParticipantUpdate(participants=[participant.info])
        )
        targets = list(self.participants.values()) if include_self else self.others(participant)
        await asyncio.gather(
            *(p.send(update) for p in targets if p is not participant or include_self),
            return_exceptions=True,
        )

    async def remove(self, participant: Participant, reason: models.DisconnectReason) -> None:
        """The participant left (or was removed): tell the others, stop its media."""
        if self.participants.get(participant.identity) is not participant:
            return
        del self.participants[participant.identity]
        participant.info.state = models.ParticipantInfo.State.DISCONNECTED
        participant.info.disconnect_reason = reason
        participant.changed()
        participant.gone.set()
        await self.broadcast(participant, include_self=False)
        if participant.peers is not None:
            await participant.peers.close()
        if not self.has_callers() and not self.closed.is_set() and self._empty_timer is None:
            # Agents do not keep a room open: with only agents left it closes, like when empty.
            loop = asyncio.get_running_loop()
            self._empty_timer = loop.call_later(self._departure_timeout, self._on_empty, self)

    async def close(self, reason: models.DisconnectReason) -> None:
        """Disconnect everyone: what DeleteRoom and an empty room's timeout do."""
        if self.closed.is_set():
            return
        self.closed.set()
        if self._empty_timer is not None:
            self._empty_timer.cancel()
        for participant in list(self.participants.values()):
            await participant.kick(reason)
            await self.remove(participant, reason)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._relay.close()

    # media

    def track_arrived(self, publisher: Participant, track: MediaStreamTrack) -> None:
        """Match incoming media to the publication the client announced (by its track id)."""
        info = publisher.pending_tracks.pop(track.id, None)
        if info is None:
            kind = models.TrackType.AUDIO if track.kind == "audio" else models.TrackType.VIDEO
            cid = next((c for c, t in publisher.pending_tracks.items() if t.type == kind), None)
            if cid is None:
                logger.warning("media without a published track", extra={"kind": track.kind})
                return
            info = publisher.pending_tracks.pop(cid)
        if track.kind != "audio":
            return  # video is not forwarded: the product is voice only
        publisher.media[info.sid] = track
        publisher.info.tracks.append(info)
        publisher.info.is_publisher = True
        publisher.changed()
        self._relay.drain(track)
        self.spawn(self._announce(publisher, info.sid))

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run `coro` on behalf of the room: it is cancelled when the room closes."""
        task = asyncio.create_task(coro, name="livekit-room")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(_log_failure)

    async def _announce(self, publisher: Participant, track_sid: str) -> None:
        await self.broadcast(publisher)
        for subscriber in self.others(publisher):
            if subscriber.info.permission.can_subscribe and subscriber.peers is not None:
                self._forward(publisher, track_sid, subscriber)
                await subscriber.peers.offer_subscriber()

    def forward_existing(self, subscriber: Participant) -> None:
        """Everything already published, to a participant that just joined."""
        for publisher in self.others(subscriber):
            for track_sid in publisher.media:
                self._forward(publisher, track_sid, subscriber)

    def _forward(self, publisher: Participant, track_sid: str, subscriber: Participant) -> None:
        assert subscriber.peers is not None
        if track_sid in subscriber.receiving:
            return  # joined between the track's arrival and its announcement
        subscriber.receiving.add(track_sid)
        source = self._relay.subscribe(publisher.media[track_sid])

        async def subscribed() -> None:
            # The publisher learns its track has a subscriber (LocalTrackSubscribed; the
            # agent's audio output waits for it before it plays anything).
            message = proto.TrackSubscribed(track_sid=track_sid)
            await publisher.send(proto.SignalResponse(track_subscribed=message))

        subscriber.peers.forward(
            source, participant_sid=publisher.sid, track_sid=track_sid, subscribed=subscribed
        )

    # data

    def data_received(self, sender: Participant, label: str, payload: bytes) -> None:
        """Forward a data packet as the server does: stamped with the sender's identity, to
        its destination identities or to everyone else."""
        try:
            packet = models.DataPacket.FromString(payload)
        except Exception:
            logger.warning("undecodable data packet", extra={"identity": sender.identity})
            return
        packet.participant_identity = sender.identity
        packet.participant_sid = sender.sid
        destinations = set(packet.destination_identities)
        if packet.HasField("user"):
            packet.user.participant_identity = sender.identity
            packet.user.participant_sid = sender.sid
            destinations |= set(packet.user.destination_identities)
        self.data_packets.append((sender.identity, packet))
        data = packet.SerializeToString()
        for receiver in self.others(sender):
            if destinations and receiver.identity not in destinations:
                continue
            if receiver.peers is not None:
                receiver.peers.send_data(label, data)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("room task failed", exc_info=task.exception())
