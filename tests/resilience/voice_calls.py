"""Voice calls for the resilience tests: the product's call wiring, a caller, a loudspeaker.

`agent.call.start_call` wires the call exactly as the worker does (session factory, fallbacks,
store, transcript, behaviors); the caller speaks speech-like audio at real-time pace that the
Silero VAD and the simulators' segmenter both take as speech, and the simulators decide what was
heard. The loudspeaker plays instantly and keeps every segment for assertions.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livekit import rtc
from livekit.agents import io, llm, utils, vad
from livekit.agents.voice.events import ErrorEvent
from livekit.agents.voice.io import AudioOutputCapabilities

from agent.bootstrap import prepare_store
from agent.call import Call, start_call
from agent.session_factory import load_vad
from agent.settings import Settings, load_settings
from simulators import ProviderSimulator, synthesize

SAMPLE_RATE = 16000
FRAME_S = 0.02
TRAILING_SILENCE_S = 1.2
TURN_TIMEOUT_S = 30.0

_vad: vad.VAD | None = None


def shared_vad(settings: Settings) -> vad.VAD:
    """One Silero VAD per test process, as the worker's prewarm keeps one per process."""
    global _vad
    if _vad is None:
        _vad = load_vad(settings.vad)
    return _vad


class Microphone(io.AudioInput):
    """Silence, or queued utterances, in 20 ms frames at real-time pace."""

    def __init__(self) -> None:
        super().__init__(label="resilience-caller")
        self._pending = bytearray()
        self._frames = 0
        self._started_at: float | None = None
        self._size = int(SAMPLE_RATE * FRAME_S) * 2
        self._unmuted = asyncio.Event()
        self._unmuted.set()

    async def mute(self, seconds: float) -> None:
        """Send no audio at all for `seconds` (a muted phone, a stalled browser track)."""
        self._unmuted.clear()
        try:
            await asyncio.sleep(seconds)
        finally:
            self._started_at = None  # the real-time pace restarts from now
            self._frames = 0
            self._unmuted.set()

    def say(self, text: str) -> None:
        silence = b"\x00\x00" * int(SAMPLE_RATE * TRAILING_SILENCE_S)
        self._pending += synthesize(text, sample_rate=SAMPLE_RATE) + silence

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    async def __anext__(self) -> rtc.AudioFrame:
        await self._unmuted.wait()
        if self._started_at is None:
            self._started_at = time.monotonic()
        due = self._started_at + self._frames * FRAME_S
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        self._frames += 1
        chunk = bytes(self._pending[: self._size]).ljust(self._size, b"\x00")
        del self._pending[: self._size]
        return rtc.AudioFrame(chunk, SAMPLE_RATE, 1, self._size // 2)


class Loudspeaker(io.AudioOutput):
    """Keeps each played segment's length in seconds; playout is instant."""

    def __init__(self) -> None:
        super().__init__(
            label="resilience-speaker", capabilities=AudioOutputCapabilities(pause=False)
        )
        self.segments: list[float] = []
        self._playing = False

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if not self._playing:
            self._playing = True
            self.segments.append(0.0)
            self.on_playback_started(created_at=time.time())
        self.segments[-1] += frame.duration

    def flush(self) -> None:
        super().flush()
        if self._playing:
            self._playing = False
            self.on_playback_finished(playback_position=self.segments[-1], interrupted=False)

    def clear_buffer(self) -> None:
        if self._playing:
            self._playing = False
            self.on_playback_finished(playback_position=self.segments[-1], interrupted=True)


@dataclass
class VoiceCall:
    """A started call; `turn()` speaks and waits for the agent's answer."""

    call: Call
    mic: Microphone
    speaker: Loudspeaker
    sims: tuple[ProviderSimulator, ...]
    errors: list[ErrorEvent] = field(default_factory=list)

    @property
    def messages(self) -> list[llm.ChatMessage]:
        items = self.call.session.history.items
        return [i for i in items if isinstance(i, llm.ChatMessage) and i.role != "system"]

    @property
    def replies(self) -> list[str]:
        return [m.text_content or "" for m in self.messages if m.role == "assistant"]

    @property
    def heard(self) -> list[str]:
        """What the agent understood the caller said, turn by turn."""
        return [m.text_content or "" for m in self.messages if m.role == "user"]

    async def wait_until_listening(self, *, replies: int, within_s: float = TURN_TIMEOUT_S) -> bool:
        """Until `replies` answers were given and the agent is listening again."""
        session = self.call.session
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            if (
                len(self.replies) >= replies
                and session.agent_state == "listening"
                and session.current_speech is None
                and not self.mic.busy
            ):
                return True
            await asyncio.sleep(0.05)
        return False

    async def turn(self, text: str, *, may_be_lost: bool = False) -> str:
        """Say `text` (every simulated STT will hear it); return the agent's answer.

        With `may_be_lost`, a turn the agent never answers returns "" instead of failing.
        """
        answered = len(self.replies)
        for sim in self.sims:
            sim.script.hear(text)
        self.mic.say(text)
        if not await self.wait_until_listening(
            replies=answered + 1, within_s=10.0 if may_be_lost else TURN_TIMEOUT_S
        ):
            assert may_be_lost, f"no answer to {text!r}; agent {self.call.session.agent_state}"
            for sim in self.sims:  # a lost utterance's transcript must not shift later ones
                sim.script.hears.clear()
            return ""
        return self.replies[-1]


def settings_for(
    primary: ProviderSimulator, backup: ProviderSimulator, workdir: Path, **env: str
) -> Settings:
    """Pipeline (or `ACME_MODE`) settings: the primaries on one simulator, the fallbacks
    (OpenAI STT and TTS, a second LLM and Realtime model, when enabled in `env`) on another."""
    base = {
        "ACME_MODE": "pipeline",
        "OPENAI_API_KEY": "simulated",
        "DEEPGRAM_API_KEY": "simulated",
        "CARTESIA_API_KEY": "simulated",
        "ACME_LLM_BASE_URL": primary.openai_base_url,
        "ACME_DEEPGRAM_BASE_URL": primary.deepgram_base_url,
        "ACME_CARTESIA_BASE_URL": primary.cartesia_base_url,
        "ACME_OPENAI_BASE_URL": backup.openai_base_url,  # the OpenAI STT and TTS fallbacks
        "ACME_FALLBACK_LLM_BASE_URL": backup.openai_base_url,
        "ACME_FALLBACK_LLM_API_KEY": "simulated",
        "ACME_FALLBACK_REALTIME_BASE_URL": backup.openai_base_url,
        "ACME_STORE_URL": f"sqlite:///{workdir / 'acme.db'}",
        "ACME_TRANSCRIPT_DIR": str(workdir / "transcripts"),
    }
    if env.get("ACME_MODE", "pipeline") != "pipeline":
        base["ACME_OPENAI_BASE_URL"] = primary.openai_base_url  # the primary Realtime model
    return load_settings(environ={**base, **env})


@contextlib.asynccontextmanager
async def voice_call(
    settings: Settings, *sims: ProviderSimulator, greeted: bool = True
) -> AsyncIterator[VoiceCall]:
    """A started call, greeted (unless `greeted` is False) and listening; closed on exit.

    Deepgram sends each utterance in pieces, as the real service does.
    """
    for sim in sims:
        sim.behaviour.deepgram.finals_in_pieces = True
    await asyncio.to_thread(prepare_store, settings)
    vad_model = await asyncio.to_thread(shared_vad, settings)
    mic, speaker = Microphone(), Loudspeaker()
    async with utils.http_context.open():
        call = await start_call(
            settings,
            call_id=f"resilience-{uuid.uuid4().hex[:8]}",
            vad_model=vad_model,
            audio_input=mic,
            audio_output=speaker,
        )
        voice = VoiceCall(call=call, mic=mic, speaker=speaker, sims=sims)
        call.session.on("error", voice.errors.append)
        try:
            assert await voice.wait_until_listening(replies=1 if greeted else 0), "no greeting"
            yield voice
        finally:
            await call.aclose()


def records(path: Path) -> list[dict[str, Any]]:
    """The call's transcript file, one record per line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
