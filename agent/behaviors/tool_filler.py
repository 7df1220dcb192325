"""A slow tool (an order store taking its time) is covered: the caller hears a short filler.

When a tool call is still running after `delay_s` in which nobody spoke (counted from the
tool's start, or from the end of what the agent said meanwhile, such as "Let me pull up
ACME-1042."), the agent says a short filler (kept out of the conversation the model sees).
Modes with a TTS speak a sentence; a speech-to-speech model has no TTS, so the caller hears
the framework's keyboard-typing clip.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from livekit import rtc
from livekit.agents import AgentSession, ToolCallEnded, ToolCallStarted, utils
from livekit.agents.voice.background_audio import BuiltinAudioClip
from livekit.agents.voice.events import (
    AgentStateChangedEvent,
    CloseEvent,
    ToolExecutionUpdatedEvent,
    UserStateChangedEvent,
)

logger = logging.getLogger("acme.filler")

FILLER = "One moment while I pull that up."
CLIP = BuiltinAudioClip.KEYBOARD_TYPING
CLIP_S = 1.5  # how much of the clip plays
CLIP_RATE = 24000


class ToolFiller:
    """Watches one call's tool calls; `fillers` counts the fillers played."""

    def __init__(self, session: AgentSession[Any], *, delay_s: float, spoken: bool) -> None:
        self._session = session
        self._delay_s = delay_s
        self._spoken = spoken
        self._running: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._quiet_since = time.monotonic()  # when the agent or the caller last stopped speaking
        self._changed = asyncio.Event()
        self.fillers = 0
        session.on("tool_execution_updated", self._on_tool)
        session.on("agent_state_changed", self._on_state)
        session.on("user_state_changed", self._on_state)
        session.on("close", self._on_close)

    def _on_state(self, ev: AgentStateChangedEvent | UserStateChangedEvent) -> None:
        if ev.old_state == "speaking":
            self._quiet_since = time.monotonic()
        self._changed.set()

    def _on_tool(self, ev: ToolExecutionUpdatedEvent) -> None:
        update = ev.update
        if isinstance(update, ToolCallStarted):
            self._running.add(update.function_call.call_id)
            if self._task is None:
                self._quiet_since = time.monotonic()
                self._task = asyncio.ensure_future(self._fill())
        elif isinstance(update, ToolCallEnded):
            self._running.discard(update.call_id)
            if not self._running:
                self._stop()

    def _on_close(self, ev: CloseEvent) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None

    async def _fill(self) -> None:
        session = self._session
        while True:
            self._changed.clear()
            speaking = session.agent_state == "speaking" or session.user_state == "speaking"
            quiet_for = time.monotonic() - self._quiet_since
            if not speaking and quiet_for >= self._delay_s:
                break
            # wait for a change of state, or for the quiet to last long enough
            timeout = None if speaking else self._delay_s - quiet_for
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)
        self.fillers += 1
        logger.info("tool still running, filler played", extra={"delay_s": self._delay_s})
        with contextlib.suppress(RuntimeError):  # the session is closing
            if self._spoken:
                session.say(FILLER, add_to_chat_ctx=False)
            else:
                session.say("", audio=_clip(), add_to_chat_ctx=False)


async def _clip() -> AsyncIterator[rtc.AudioFrame]:
    """The first `CLIP_S` seconds of the clip."""
    played = 0.0
    async for frame in utils.audio.audio_frames_from_file(CLIP.path(), sample_rate=CLIP_RATE):
        yield frame
        played += frame.duration
        if played >= CLIP_S:
            return


def fill_slow_tools(session: AgentSession[Any], *, delay_s: float, spoken: bool) -> ToolFiller:
    """Attach the slow-tool filler; `spoken`: the mode has a TTS to say a sentence with."""
    return ToolFiller(session, delay_s=delay_s, spoken=spoken)
