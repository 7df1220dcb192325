"""An audio output that counts the agent's audio and plays each segment out at once."""

from __future__ import annotations

import time

from livekit import rtc
from livekit.agents import io
from livekit.agents.voice.io import AudioOutputCapabilities


class InstantPlayout(io.AudioOutput):
    """The caller's earpiece for tests that need the audio's length, not real-time playout."""

    def __init__(self, *, label: str = "instant") -> None:
        super().__init__(label=label, capabilities=AudioOutputCapabilities(pause=False))
        self.audio_s = 0.0
        self._playing = False

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if not self._playing:
            self._playing = True
            self.on_playback_started(created_at=time.time())
        self.audio_s += frame.duration

    def flush(self) -> None:
        super().flush()
        if self._playing:
            self._playing = False
            self.on_playback_finished(playback_position=self.audio_s, interrupted=False)

    def clear_buffer(self) -> None:
        pass
