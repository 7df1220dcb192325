"""A caller who finished speaking always hears something: the reply, or an apology.

A caller turn (a final transcript while the agent is quiet, the framework committing the
caller's message, or a tool run for it finishing and owing a reply) is answered when the agent
starts speaking after it. When nothing
is heard within `wait_s`, the agent first asks for the reply again (stopping a stuck one);
if that is not heard within `wait_s` either, it apologises and asks the caller to repeat.
The guard stands down when the caller speaks again: their new turn starts a new wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from livekit.agents import AgentSession
from livekit.agents.llm import ChatMessage
from livekit.agents.voice.events import (
    AgentStateChangedEvent,
    CloseEvent,
    ConversationItemAddedEvent,
    FunctionToolsExecutedEvent,
    UserInputTranscribedEvent,
    UserStateChangedEvent,
)

from agent.say import say

logger = logging.getLogger("acme.guard")

APOLOGY = "I'm sorry, I didn't manage to answer that. Could you say it again, please?"
EVENT_KIND = "reply_guard"


class ReplyGuard:
    """Watches one call's session; `firings` counts its recoveries."""

    def __init__(
        self,
        session: AgentSession[Any],
        *,
        wait_s: float,
        record: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self._session = session
        self._wait_s = wait_s
        self._record = record
        self._spoke_at = 0.0  # wall clock when the agent last started speaking
        self._uncommitted: list[str] = []  # final transcripts not (yet) in the conversation
        self._recoveries = 0  # for the turn waiting now: 1 reply asked again, 2 apologized
        self._task: asyncio.Task[None] | None = None
        self.firings = 0
        session.on("user_input_transcribed", self._on_transcript)
        session.on("conversation_item_added", self._on_item)
        session.on("function_tools_executed", self._on_tools)
        session.on("agent_state_changed", self._on_agent)
        session.on("user_state_changed", self._on_user)
        session.on("close", self._on_close)

    def _on_transcript(self, ev: UserInputTranscribedEvent) -> None:
        if not ev.is_final or not ev.transcript.strip():
            return
        self._uncommitted.append(ev.transcript.strip())
        if self._session.agent_state != "speaking":  # over the agent: only a commit counts
            self._arm(time.time())

    def _on_item(self, ev: ConversationItemAddedEvent) -> None:
        msg = ev.item
        if isinstance(msg, ChatMessage) and msg.role == "user" and msg.text_content:
            self._uncommitted.clear()
            stopped = msg.metrics.get("stopped_speaking_at")
            self._arm(float(stopped) if isinstance(stopped, int | float) else msg.created_at)

    def _on_tools(self, ev: FunctionToolsExecutedEvent) -> None:
        if ev.has_tool_reply:  # the tool's answer is still to be spoken
            self._arm(time.time())

    def _on_agent(self, ev: AgentStateChangedEvent) -> None:
        if ev.new_state == "speaking":
            self._spoke_at = time.time()
            self._uncommitted.clear()
            self._recoveries = 0
            self._disarm()

    def _on_user(self, ev: UserStateChangedEvent) -> None:
        if ev.new_state == "speaking":  # a new turn begins; its commit arms the guard again
            self._recoveries = 0
            self._disarm()

    def _on_close(self, ev: CloseEvent) -> None:
        self._disarm()

    def _arm(self, turn_ended_at: float) -> None:
        if self._spoke_at >= turn_ended_at:  # already answered (a late transcript)
            return
        self._disarm()
        self._task = asyncio.ensure_future(self._watch())

    def _disarm(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None

    async def _watch(self) -> None:
        while self._recoveries < 2:
            await asyncio.sleep(self._wait_s)
            if self._session.user_state == "speaking":
                return  # the caller goes on: their next turn arms the guard again
            if self._session.agent_state == "speaking":
                continue  # still saying what it began before this turn (not interruptible)
            self._recoveries += 1
            with contextlib.suppress(RuntimeError):  # the session is closing
                await self._stop_stuck_speech()
                if self._recoveries == 1:
                    self._fire("regenerated", "no reply heard, reply asked again")
                    self._regenerate()
                else:
                    self._fire("apologized", "no reply heard again, apologized")
                    say(self._session, APOLOGY)

    def _regenerate(self) -> None:
        if self._uncommitted:  # the reply was dropped before the caller's words were kept
            self._session.generate_reply(user_input=" ".join(self._uncommitted))
        else:
            self._session.generate_reply()

    async def _stop_stuck_speech(self) -> None:
        if self._session.current_speech is not None:
            await self._session.interrupt(force=True)

    def _fire(self, action: str, detail: str) -> None:
        self.firings += 1
        logger.warning("caller's turn unanswered", extra={"action": action, "wait_s": self._wait_s})
        if self._record is not None:
            now = time.time()
            self._record(
                {"type": "event", "ts": now, "spoken_at": now, "kind": EVENT_KIND, "detail": detail}
            )


def guard_replies(
    session: AgentSession[Any],
    *,
    wait_s: float,
    record: Callable[[dict[str, Any]], None] | None = None,
) -> ReplyGuard:
    """Attach the reply guard to a call's session; `record` receives one event per firing."""
    return ReplyGuard(session, wait_s=wait_s, record=record)
