"""An OpenAI Realtime model whose sessions survive a malformed server frame.

The 1.8.9 plugin parses every text frame before its own error handling, so a single frame that
is not JSON ends the session, and AgentSession then closes the call. Here such a frame is
logged, reported as a recoverable error and skipped; the socket and the conversation go on.
Frames that parse but lack fields are already logged and skipped by the plugin.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
from livekit.agents import APIError
from livekit.plugins import openai

logger = logging.getLogger("acme.providers")


class _TolerantSocket:
    """The plugin's websocket, minus text frames that are not JSON (everything else delegated)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, *, session: TolerantSession) -> None:
        self._ws = ws
        self._session = session
        self.skipped = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)

    async def receive(self) -> aiohttp.WSMessage:
        while True:
            msg = await self._ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT or _is_json(msg.data):
                return msg
            self.skipped += 1
            logger.warning(
                "malformed realtime message skipped",
                extra={"chars": len(msg.data), "skipped": self.skipped},
            )
            self._session.report_malformed()


class TolerantSession(openai.realtime.RealtimeSession):
    """A Realtime session that skips malformed frames instead of dying on them."""

    async def _create_ws_conn(self) -> aiohttp.ClientWebSocketResponse:
        ws = await super()._create_ws_conn()
        # Duck-typed: the session only calls receive, send_str, close and closed.
        return _TolerantSocket(ws, session=self)  # type: ignore[return-value]

    def report_malformed(self) -> None:
        self._emit_error(
            APIError("malformed message from the Realtime API", retryable=True),
            recoverable=True,
        )


class TolerantRealtimeModel(openai.realtime.RealtimeModel):
    """openai.realtime.RealtimeModel with TolerantSession sessions."""

    def session(self, *, turn_detection_disabled: bool = False) -> openai.realtime.RealtimeSession:
        sess = TolerantSession(self, turn_detection_disabled=turn_detection_disabled)
        self._sessions.add(sess)
        return sess


def _is_json(data: str) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True
