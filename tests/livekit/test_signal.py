"""The local LiveKit server against the real Python rtc SDK: join, audio both ways over WebRTC,
attributes, data, leaving, refused tokens and room deletion."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import numpy as np
import pytest
from livekit import api, rtc

from simulators.livekit import DEV_KEY, DEV_SECRET, LiveKitServer
from simulators.livekit.caller import RoomCaller, join_token

pytestmark = pytest.mark.integration


@pytest.fixture
async def server() -> AsyncIterator[LiveKitServer]:
    async with LiveKitServer() as lk:
        yield lk


def tone(hz: float, seconds: float, rate: int = 48000) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * hz * t) * 8000).astype(np.int16).tobytes()


async def join(server: LiveKitServer, identity: str, **kwargs: object) -> RoomCaller:
    caller = RoomCaller()
    token = join_token(DEV_KEY, DEV_SECRET, room="lobby", identity=identity, **kwargs)  # type: ignore[arg-type]
    await caller.connect(server.url, token)
    return caller


async def test_two_callers_hear_each_other_and_share_attributes_and_data(
    server: LiveKitServer,
) -> None:
    alice = await join(server, "alice", attributes={"team": "blue"}, can_update_metadata=True)
    bob = await join(server, "bob")
    try:
        await bob.wait("alice's attributes", lambda: bob.states("alice", "team") == ["blue"])
        await alice.wait("bob", lambda: "bob" in alice.room.remote_participants)

        started = asyncio.get_running_loop().time()
        await asyncio.gather(alice.say(tone(440, 1.0), 48000), bob.say(tone(660, 1.0), 48000))
        await alice.wait("bob's tone", lambda: alice.heard_since(started) > 0.5)
        await bob.wait("alice's tone", lambda: bob.heard_since(started) > 0.5)

        await alice.room.local_participant.set_attributes({"team": "red", "mood": "calm"})
        await bob.wait("the update", lambda: bob.states("alice", "team") == ["blue", "red"])
        assert bob.room.remote_participants["alice"].attributes == {"team": "red", "mood": "calm"}

        await alice.send_chat("hello bob")
        await bob.wait("the chat message", lambda: bob.chat == [("alice", "hello bob")])

        left = asyncio.Event()
        bob.room.on(
            "participant_disconnected", lambda p: left.set() if p.identity == "alice" else None
        )
        await alice.hang_up()
        await asyncio.wait_for(left.wait(), 10)
        assert list(bob.room.remote_participants) == []
    finally:
        await bob.aclose()


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(
            join_token(DEV_KEY, "not-the-secret-of-this-server-at-all", room="r", identity="x"),
            id="forged",
        ),
        pytest.param(
            join_token(DEV_KEY, DEV_SECRET, room="r", identity="x", ttl=timedelta(minutes=-5)),
            id="expired",
        ),
        pytest.param(
            api.AccessToken(DEV_KEY, DEV_SECRET)
            .with_identity("x")
            .with_grants(api.VideoGrants(room_admin=True, room="r"))
            .to_jwt(),
            id="no-room-join",
        ),
    ],
)
async def test_bad_tokens_cannot_join(server: LiveKitServer, token: str) -> None:
    room = rtc.Room()
    with pytest.raises(rtc.ConnectError):
        await room.connect(server.url, token, rtc.RoomOptions(connect_timeout=5))
    assert server.events == []


async def test_delete_room_disconnects_everyone_and_admin_tokens_are_per_room(
    server: LiveKitServer,
) -> None:
    alice = await join(server, "alice")
    reasons: list[int] = []
    alice.room.on("disconnected", reasons.append)
    try:
        other_room = api.AccessToken(DEV_KEY, DEV_SECRET).with_grants(
            api.VideoGrants(room_admin=True, room="elsewhere")
        )
        async with api.LiveKitAPI(server.http_url, DEV_KEY, DEV_SECRET) as lkapi:
            foreign = api.LiveKitAPI(server.http_url, token=other_room.to_jwt())
            try:
                with pytest.raises(api.TwirpError) as refused:
                    await foreign.room.update_participant(
                        api.UpdateParticipantRequest(room="lobby", identity="alice", metadata="x")
                    )
                assert refused.value.status == 403
            finally:
                await foreign.aclose()
            await lkapi.room.delete_room(api.DeleteRoomRequest(room="lobby"))
        await alice.wait("the disconnection", alice.disconnected.is_set, within=10)
        assert reasons == [rtc.DisconnectReason.ROOM_DELETED]
        assert "lobby" not in server.rooms.by_name
    finally:
        await alice.aclose()
