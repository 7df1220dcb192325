"""When a provider loses the caller's turn, the caller hears a short apology instead of silence.

A turn is lost when the agent takes it up ("thinking") and goes back to listening with nothing
said: the provider failed it for good, or its answer came back empty (a refusal, a filter). The
framework's own retries get `SETTLE_S` first. A context over the model's limit also trims the
oldest history, so the next turn fits again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from livekit.agents import AgentSession, APIStatusError, llm
from livekit.agents.voice.events import (
    AgentStateChangedEvent,
    CloseEvent,
    ErrorEvent,
    UserStateChangedEvent,
)

from agent.say import say

logger = logging.getLogger("acme.providers")

APOLOGY = "Sorry, I lost you for a moment there. Could you say that again?"
SETTLE_S = 0.8  # the framework's own retry gets this long to answer before we apologise
KEEP_ITEMS_AFTER_OVERFLOW = 0.5  # share of the history kept when the context is too long


class LostTurns:
    """Watches one call's session; `apologies` counts what the caller was told."""

    def __init__(self, session: AgentSession[Any], *, settle_s: float = SETTLE_S) -> None:
        self._session = session
        self._settle_s = settle_s
        self._unanswered = False  # the agent took up a turn and has not spoken since
        self._caller_waiting = False  # the caller spoke after the agent last did
        self._realtime_failed = False  # the Realtime model reported an error since then
        self._check: asyncio.Task[None] | None = None
        self._trim: asyncio.Task[None] | None = None
        self.apologies = 0
        session.on("user_state_changed", self._on_user)
        session.on("agent_state_changed", self._on_agent)
        session.on("error", self._on_error)
        session.on("close", self._on_close)

    def _on_user(self, ev: UserStateChangedEvent) -> None:
        if ev.new_state == "speaking":  # the caller goes on: the framework takes it from here
            self._cancel_check()
        elif ev.old_state == "speaking":
            self._caller_waiting = True

    def _on_agent(self, ev: AgentStateChangedEvent) -> None:
        if ev.new_state == "thinking":  # taken up (again): the framework is still on it
            self._unanswered = True
            self._cancel_check()
        elif ev.new_state == "speaking":
            self._unanswered = self._caller_waiting = self._realtime_failed = False
        elif ev.new_state == "listening" and ev.old_state == "thinking":
            self._cancel_check()
            self._check = asyncio.ensure_future(self._apologize_if_lost())

    def _on_error(self, ev: ErrorEvent) -> None:
        if _error_code(ev.error) == "context_length_exceeded" and self._trim is None:
            self._trim = asyncio.ensure_future(self._trim_history())
        if isinstance(ev.error, llm.RealtimeModelError):
            # the server takes turns up itself: a failed response never shows "thinking"
            self._realtime_failed = True
            self._cancel_check()
            self._check = asyncio.ensure_future(self._apologize_if_lost())

    def _on_close(self, ev: CloseEvent) -> None:
        self._cancel_check()
        if self._trim is not None:
            self._trim.cancel()

    def _cancel_check(self) -> None:
        if self._check is not None and not self._check.done():
            self._check.cancel()
        self._check = None

    def _lost(self) -> bool:
        session = self._session
        return (
            (self._unanswered or (self._realtime_failed and self._caller_waiting))
            and session.agent_state == "listening"
            and session.user_state != "speaking"
            and session.current_speech is None
        )

    async def _apologize_if_lost(self) -> None:
        await asyncio.sleep(self._settle_s)
        if not self._lost():
            return
        self._unanswered = self._caller_waiting = self._realtime_failed = False
        self.apologies += 1
        logger.warning("caller's turn lost, apologized")
        with contextlib.suppress(RuntimeError):  # the session is closing
            say(self._session, APOLOGY)

    async def _trim_history(self) -> None:
        """Drop the oldest half of the conversation (instructions stay) so requests fit."""
        try:
            agent = self._session.current_agent
            ctx = agent.chat_ctx.copy()
            keep = int(len(ctx.items) * KEEP_ITEMS_AFTER_OVERFLOW)
            await agent.update_chat_ctx(ctx.truncate(max_items=keep))
            logger.warning(
                "conversation too long for the model, oldest turns dropped",
                extra={"kept_items": keep},
            )
        finally:
            self._trim = None


def apologize_for_lost_turns(session: AgentSession[Any]) -> LostTurns:
    """Attach the lost-turn apology (and history trimming) to a call's session."""
    return LostTurns(session)


def _error_code(error: object) -> str | None:
    inner = getattr(error, "error", error)
    body = getattr(inner, "body", None)
    if isinstance(inner, APIStatusError) and isinstance(body, dict):
        code = body.get("code")
        return str(code) if code else None
    code = getattr(body, "code", None)
    return str(code) if code else None
