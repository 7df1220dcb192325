"""A participant's two WebRTC connections, on aiortc: the client offers on its publisher
connection and the server offers on the subscriber one (LiveKit's dual peer connection mode)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

import aioice.ice
from aiortc import (
    MediaStreamTrack,
    RTCDataChannel,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaRelay
from aiortc.sdp import candidate_from_sdp
from livekit.protocol import rtc as proto

logger = logging.getLogger("simulators.livekit")

RELIABLE = "_reliable"
LOSSY = "_lossy"

SendSignal = Callable[[proto.SignalResponse], Awaitable[None]]


def _loopback_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    return ["127.0.0.1"] if use_ipv4 else []


def gather_on_loopback_only() -> None:
    """The server's ICE candidates are 127.0.0.1 only (aioice skips loopback by default)."""
    aioice.ice.get_host_addresses = _loopback_addresses


class ForwardedTrack(MediaStreamTrack):
    """A published track as one subscriber receives it: its WebRTC track id is the track sid,
    which is how LiveKit clients match incoming media to the publication."""

    kind = "audio"

    def __init__(self, source: MediaStreamTrack, *, track_sid: str) -> None:
        super().__init__()
        self._id = track_sid
        self._source = source

    async def recv(self):  # type: ignore[no-untyped-def]  # aiortc's Frame | Packet
        return await self._source.recv()


class PeerPair:
    """Publisher and subscriber connections of one participant, negotiated over its signal."""

    def __init__(
        self,
        *,
        send: SendSignal,
        on_data: Callable[[str, bytes], None],
        on_track: Callable[[MediaStreamTrack], None],
        on_connected: Callable[[], None],
    ) -> None:
        self._send = send
        self.publisher = RTCPeerConnection()
        self.subscriber = RTCPeerConnection()
        self._channels = {
            RELIABLE: self.subscriber.createDataChannel(RELIABLE, ordered=True),
            LOSSY: self.subscriber.createDataChannel(LOSSY, ordered=False, maxRetransmits=0),
        }
        self._offer_id = 0
        self._awaiting_answer = False
        self._renegotiate = False
        self._lock = asyncio.Lock()
        self._on_connected = on_connected
        self._after_answer: list[Callable[[], Awaitable[None]]] = []

        @self.publisher.on("datachannel")
        def _channel(channel: RTCDataChannel) -> None:
            label = channel.label

            @channel.on("message")
            def _message(message: bytes | str) -> None:
                if isinstance(message, bytes):
                    on_data(label, message)

        @self.publisher.on("track")
        def _track(track: MediaStreamTrack) -> None:
            on_track(track)

        @self.subscriber.on("connectionstatechange")
        def _state() -> None:
            if self.subscriber.connectionState == "connected":
                self._on_connected()

    def send_data(self, label: str, payload: bytes) -> bool:
        channel = self._channels.get(label) or self._channels[RELIABLE]
        if channel.readyState != "open":
            return False
        channel.send(payload)
        return True

    async def answer_publisher(self, offer: proto.SessionDescription) -> None:
        """The client offers what it publishes; the server answers."""
        await self.publisher.setRemoteDescription(RTCSessionDescription(offer.sdp, offer.type))
        await self.publisher.setLocalDescription(await self.publisher.createAnswer())
        local = self.publisher.localDescription
        answer = proto.SessionDescription(type=local.type, sdp=local.sdp, id=offer.id)
        await self._send(proto.SignalResponse(answer=answer))

    async def subscriber_answered(self, answer: proto.SessionDescription) -> None:
        async with self._lock:
            await self.subscriber.setRemoteDescription(
                RTCSessionDescription(answer.sdp, answer.type)
            )
            self._awaiting_answer = False
            again, self._renegotiate = self._renegotiate, False
            callbacks, self._after_answer = self._after_answer, []
        for callback in callbacks:
            await callback()
        if again:
            await self.offer_subscriber()

    async def offer_subscriber(self) -> None:
        """Offer the subscriber connection (again): its data channels and forwarded tracks.

        One offer at a time: a change while an offer is out is offered after its answer.
        """
        async with self._lock:
            if self._awaiting_answer:
                self._renegotiate = True
                return
            self._awaiting_answer = True
            self._offer_id += 1
            await self.subscriber.setLocalDescription(await self.subscriber.createOffer())
            local = self.subscriber.localDescription
            offer = proto.SessionDescription(type=local.type, sdp=local.sdp, id=self._offer_id)
        await self._send(proto.SignalResponse(offer=offer))

    def forward(
        self,
        track: MediaStreamTrack,
        *,
        participant_sid: str,
        track_sid: str,
        subscribed: Callable[[], Awaitable[None]],
    ) -> None:
        """Send `track` to this participant as LiveKit does: stream id `PA_...|TR_...`.
        `subscribed` runs once the participant has answered the offer that carries it."""
        self._after_answer.append(subscribed)
        transceiver = self.subscriber.addTransceiver(
            ForwardedTrack(track, track_sid=track_sid), direction="sendonly"
        )
        opus = [c for c in RTCRtpSender.getCapabilities("audio").codecs if c.name == "opus"]
        transceiver.setCodecPreferences(opus)
        transceiver.sender._stream_id = f"{participant_sid}|{track_sid}"  # no public setter

    async def add_ice_candidate(self, trickle: proto.TrickleRequest) -> None:
        init = json.loads(trickle.candidateInit or "{}")
        line = init.get("candidate") or ""
        if not line:
            return  # end of candidates
        candidate = candidate_from_sdp(
            line.split(":", 1)[1] if line.startswith("candidate:") else line
        )
        candidate.sdpMid = init.get("sdpMid")
        candidate.sdpMLineIndex = init.get("sdpMLineIndex")
        pc = self.subscriber if trickle.target == proto.SignalTarget.SUBSCRIBER else self.publisher
        if pc.remoteDescription is None:
            return  # the client trickles only after the description it answers or offers
        await pc.addIceCandidate(candidate)

    async def close(self) -> None:
        await asyncio.gather(self.publisher.close(), self.subscriber.close())


class Relay:
    """Fans one published track out to every subscriber (decoded once, encoded per receiver).

    A sink always reads the track, so an unsubscribed track does not pile up frames.
    """

    def __init__(self) -> None:
        self._relay = MediaRelay()
        self._sinks: list[asyncio.Task[None]] = []

    def subscribe(self, track: MediaStreamTrack) -> MediaStreamTrack:
        return self._relay.subscribe(track, buffered=False)

    def drain(self, track: MediaStreamTrack) -> None:
        sink = self._relay.subscribe(track, buffered=False)

        async def _read() -> None:
            try:
                while True:
                    await sink.recv()
            except Exception:  # MediaStreamError when the publisher goes away
                return

        self._sinks.append(asyncio.create_task(_read(), name="livekit-track-sink"))

    async def close(self) -> None:
        for task in self._sinks:
            task.cancel()
        await asyncio.gather(*self._sinks, return_exceptions=True)
        self._sinks.clear()
