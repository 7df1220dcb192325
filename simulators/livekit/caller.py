"""A caller in a room through the real Python rtc SDK: speaks at real-time pace, and records
what it hears, the live transcriptions, chat and the others' attributes, for tests to wait on."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
from livekit import api, rtc

TRANSCRIPTION_TOPIC = "lk.transcription"
CHAT_TOPIC = "lk.chat"
TRACK_ID_ATTRIBUTE = "lk.transcribed_track_id"
FINAL_ATTRIBUTE = "lk.transcription_final"
FRAME_MS = 10
PHONE_RATE = 8000
KEYPAD = "0123456789*#"


@dataclass(frozen=True)
class Transcript:
    """One finished transcription stream: who spoke it (by track), and the text."""

    sender: str
    track_sid: str
    text: str
    final: bool


def join_token(
    api_key: str,
    api_secret: str,
    *,
    room: str,
    identity: str,
    kind: api.AccessToken.ParticipantKind = "standard",
    attributes: dict[str, str] | None = None,
    agent_name: str = "",
    ttl: timedelta = timedelta(minutes=10),
    can_update_metadata: bool = False,
) -> str:
    token = (
        api.AccessToken(api_key, api_secret)
        .with_identity(identity)
        .with_kind(kind)
        .with_ttl(ttl)
        .with_grants(
            api.VideoGrants(room_join=True, room=room, can_update_own_metadata=can_update_metadata)
        )
    )
    if attributes:
        token = token.with_attributes(attributes)
    if agent_name:
        dispatch = api.RoomAgentDispatch(agent_name=agent_name)
        token = token.with_room_config(api.RoomConfiguration(agents=[dispatch]))
    return token.to_jwt()


class RoomCaller:
    """`await caller.connect(url, token)`, `await caller.say(pcm, rate)`, `await caller.wait(...)`.

    Its microphone sends silence between turns, as a real one does, so voice activity
    detection on the other side sees each turn end. `sample_rate=8000` is a phone line.
    """

    def __init__(self, *, sample_rate: int = 48000) -> None:
        self.room = rtc.Room()
        self.sample_rate = sample_rate
        self.transcripts: list[Transcript] = []
        self.chat: list[tuple[str, str]] = []  # (sender, text)
        self.attribute_history: dict[str, list[dict[str, str]]] = {}  # identity -> snapshots
        self.heard: list[tuple[float, float]] = []  # (monotonic time, frame RMS) of remote audio
        self.disconnected = asyncio.Event()
        self._changed = asyncio.Condition()
        self._speech: asyncio.Queue[bytes] = asyncio.Queue()
        self._spoken = asyncio.Event()
        self._source = rtc.AudioSource(sample_rate, 1, queue_size_ms=100)
        self._tasks: set[asyncio.Task[None]] = set()
        self.room.on("track_subscribed", self._on_track)
        self.room.on("participant_attributes_changed", self._on_attributes)
        self.room.on("participant_connected", self._on_participant)
        self.room.on("disconnected", lambda *_: self._set(self.disconnected))
        self.room.register_text_stream_handler(TRANSCRIPTION_TOPIC, self._on_transcription)
        self.room.register_text_stream_handler(CHAT_TOPIC, self._on_chat)

    @property
    def identity(self) -> str:
        return self.room.local_participant.identity

    async def connect(self, url: str, token: str) -> None:
        await self.room.connect(url, token)
        track = rtc.LocalAudioTrack.create_audio_track("microphone", self._source)
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        self.mic = await self.room.local_participant.publish_track(track, options)
        for participant in self.room.remote_participants.values():
            self._on_participant(participant)
        self._spawn(self._microphone())

    async def say(self, pcm: bytes, sample_rate: int) -> None:
        """Queue speech (mono PCM16) for the microphone; returns when it has all been sent."""
        if sample_rate != self.sample_rate:
            raise ValueError(f"speech at {sample_rate} Hz for a {self.sample_rate} Hz microphone")
        self._spoken.clear()
        self._speech.put_nowait(pcm)
        await self._spoken.wait()

    async def send_chat(self, text: str) -> None:
        await self.room.local_participant.send_text(text, topic=CHAT_TOPIC)

    async def press(self, digits: str) -> None:
        """Keypad tones as the SIP service delivers them: one SipDTMF data packet per key."""
        for digit in digits:
            code = (
                "0123456789*#".index(digit) if digit in "0123456789" else {"*": 10, "#": 11}[digit]
            )
            await self.room.local_participant.publish_dtmf(code=code, digit=digit)

    async def wait(self, what: str, check: Callable[[], bool], within: float = 60) -> None:
        """Until `check()` holds, re-checked on every event this caller records."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(check), within)
            except TimeoutError:
                heard = [(t.sender, t.text, t.final) for t in self.transcripts[-6:]]
                raise AssertionError(
                    f"timed out waiting for {what}; last transcriptions: {heard}"
                ) from None

    def heard_since(self, since: float, *, level: float = 300.0) -> float:
        """Seconds of remote audio louder than `level` received since `since` (monotonic)."""
        return sum(FRAME_MS / 1000 for t, r in self.heard if t >= since and r > level)

    def states(self, identity: str, key: str) -> list[str]:
        """The successive values an attribute of `identity` took (repeats collapsed)."""
        values: list[str] = []
        for snapshot in self.attribute_history.get(identity, []):
            value = snapshot.get(key)
            if value is not None and (not values or values[-1] != value):
                values.append(value)
        return values

    async def hang_up(self) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.room.disconnect()
        await self._source.aclose()

    # internals

    async def _microphone(self) -> None:
        samples = self.sample_rate * FRAME_MS // 1000
        silence = bytes(samples * 2)
        pending = b""
        while True:
            if not pending and not self._speech.empty():
                pending = self._speech.get_nowait()
            chunk, pending = pending[: samples * 2], pending[samples * 2 :]
            frame_pcm = chunk.ljust(samples * 2, b"\0") if chunk else silence
            frame = rtc.AudioFrame(frame_pcm, self.sample_rate, 1, samples)
            await self._source.capture_frame(frame)  # blocks while its queue is full: real time
            if chunk and not pending and self._speech.empty():
                self._spoken.set()

    def _on_track(
        self,
        track: rtc.Track,
        publication: rtc.RemoteTrackPublication,
        participant: rtc.RemoteParticipant,
    ) -> None:
        if track.kind == rtc.TrackKind.KIND_AUDIO:
            self._spawn(self._listen(track))

    async def _listen(self, track: rtc.Track) -> None:
        stream = rtc.AudioStream(track, sample_rate=self.sample_rate, num_channels=1)
        async for event in stream:
            samples = np.frombuffer(event.frame.data, dtype=np.int16).astype(np.float64)
            level = float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0
            self.heard.append((time.monotonic(), level))
            if level > 300:
                await self._notify()

    def _on_participant(self, participant: rtc.RemoteParticipant) -> None:
        self._on_attributes({}, participant)

    def _on_attributes(self, changed: dict[str, str], participant: rtc.Participant) -> None:
        history = self.attribute_history.setdefault(participant.identity, [])
        history.append(dict(participant.attributes))
        self._spawn(self._notify())

    def _on_transcription(self, reader: rtc.TextStreamReader, sender: str) -> None:
        async def read() -> None:
            text = await reader.read_all()
            attributes = reader.info.attributes or {}
            track_sid = attributes.get(TRACK_ID_ATTRIBUTE, "")
            final = attributes.get(FINAL_ATTRIBUTE) == "true"
            self.transcripts.append(Transcript(sender, track_sid, text, final))
            await self._notify()

        self._spawn(read())

    def _on_chat(self, reader: rtc.TextStreamReader, sender: str) -> None:
        async def read() -> None:
            self.chat.append((sender, await reader.read_all()))
            await self._notify()

        self._spawn(read())

    def _set(self, event: asyncio.Event) -> None:
        event.set()
        self._spawn(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


@contextlib.asynccontextmanager
async def connected(url: str, token: str, *, sample_rate: int = 48000) -> AsyncIterator[RoomCaller]:
    caller = RoomCaller(sample_rate=sample_rate)
    await caller.connect(url, token)
    try:
        yield caller
    finally:
        await caller.aclose()
