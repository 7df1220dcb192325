"""Log agent and user state changes with the time spent in the state being left.

Long 'thinking' stretches and callers stuck 'away' are the first things to look for in a bad call.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from livekit.agents import AgentSession
from livekit.agents.voice.events import AgentStateChangedEvent, UserStateChangedEvent

logger = logging.getLogger("acme.state")


class StateTimes:
    """Seconds spent in each state, per party ('agent' or 'user'), the sequence of states, and
    when each began on the wall clock (`timeline`: (epoch seconds, party, state), for review)."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._wall_clock = wall_clock
        self.timeline: list[tuple[float, str, str]] = []
        self.seconds: dict[str, dict[str, float]] = {
            "agent": defaultdict(float),
            "user": defaultdict(float),
        }
        self.history: dict[str, list[str]] = {"agent": [], "user": []}
        self._since: dict[str, float] = {}

    def change(self, party: str, old: str, new: str) -> float:
        now = self._clock()
        spent = now - self._since.get(party, now)
        self.seconds[party][old] += spent
        self._since[party] = now
        if not self.history[party]:
            self.history[party].append(old)
        self.history[party].append(new)
        self.timeline.append((round(self._wall_clock(), 3), party, new))
        return spent


def log_state_changes(session: AgentSession[Any], times: StateTimes) -> None:
    """Log each agent/user state change with how long the previous state lasted."""

    @session.on("agent_state_changed")
    def _on_agent(ev: AgentStateChangedEvent) -> None:
        spent = times.change("agent", ev.old_state, ev.new_state)
        logger.info(
            "agent state changed",
            extra={"old": ev.old_state, "new": ev.new_state, "seconds": round(spent, 3)},
        )

    @session.on("user_state_changed")
    def _on_user(ev: UserStateChangedEvent) -> None:
        spent = times.change("user", ev.old_state, ev.new_state)
        logger.info(
            "user state changed",
            extra={"old": ev.old_state, "new": ev.new_state, "seconds": round(spent, 3)},
        )
