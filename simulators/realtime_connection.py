"""One OpenAI Realtime session on the simulator: client events in, server events out."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import aiohttp
from aiohttp import web

from .faults import RESPONSE_FAULTS, STREAM_FAULTS
from .realtime_config import default_session, merge
from .realtime_input import InputAudio
from .realtime_items import ItemStore
from .realtime_response import Response, ResponseIO
from .record import RealtimeSession, ToolResult
from .state import SimState, TaskGroup

_BULKY = frozenset({"response.output_audio.delta", "session.created", "session.updated"})
SESSION_EXPIRED_CLOSE = 1001


class Connection:
    """One Realtime session."""

    def __init__(
        self, *, state: SimState, ws: web.WebSocketResponse, query: dict[str, str]
    ) -> None:
        self._state = state
        self._ws = ws
        self._session = default_session(query.get("model", "gpt-realtime"), state.new_id("sess"))
        self._record = RealtimeSession(query=query, session=self._session)
        state.received.realtime_sessions.append(self._record)
        self._items = ItemStore()
        self._tasks = TaskGroup()
        self._input = InputAudio(
            state=state, send=self._send, items=self._items, record=self._record, tasks=self._tasks
        )
        self._response: Response | None = None
        self._response_task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._io = ResponseIO(
            state=state,
            send=self._send,
            send_raw=self._send_raw,
            drop=self._drop,
            items=self._items,
        )
        self._apply_session()

    async def _send(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        self._record.server_events.append({"type": kind} if kind in _BULKY else event)
        await self._send_raw(json.dumps({"event_id": self._state.new_id("event"), **event}))

    async def _send_raw(self, data: str) -> None:
        async with self._lock:
            if not self._ws.closed:
                await self._ws.send_str(data)

    async def _drop(self) -> None:
        await self._ws.close(code=aiohttp.WSCloseCode.INTERNAL_ERROR)

    async def _error(
        self,
        code: str | None,
        message: str,
        event_id: str | None,
        *,
        kind: str = "invalid_request_error",
    ) -> None:
        error = {"type": kind, "code": code, "message": message, "param": None}
        await self._send({"type": "error", "error": {**error, "event_id": event_id}})

    async def _expire(self) -> None:
        """The server ends a session at its maximum duration."""
        minutes = round(self._state.behaviour.realtime.max_session_s / 60)
        await self._error(
            "session_expired", f"Your session hit the maximum duration of {minutes} minutes.", None
        )
        await self._ws.close(code=SESSION_EXPIRED_CLOSE)

    async def _expire_on_time(self) -> None:
        await asyncio.sleep(self._state.behaviour.realtime.max_session_s)
        await self._expire()

    async def _expired_by_fault(self) -> bool:
        if self._state.faults.take("realtime", {"session_expired"}) is None:
            return False
        await self._expire()
        return True

    def _apply_session(self) -> None:
        self._input.configure(self._turn_detection)
        self._input.transcribe = self._session["audio"]["input"].get("transcription") is not None

    @property
    def _turn_detection(self) -> dict[str, Any] | None:
        td: dict[str, Any] | None = self._session["audio"]["input"].get("turn_detection")
        return td

    async def run(self) -> None:
        await self._send({"type": "session.created", "session": self._session})
        self._tasks.spawn(self._expire_on_time(), name="realtime-max-duration")
        try:
            async for msg in self._ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                event: dict[str, Any] = json.loads(msg.data)
                if event.get("type") == "input_audio_buffer.append":
                    pcm = base64.b64decode(event.get("audio", ""))
                    self._record.events.append({"type": event["type"], "bytes": len(pcm)})
                    await self._append(pcm)
                else:
                    self._record.events.append(event)
                    await self._dispatch(event)
        finally:
            await self._cancel_response("client_cancelled", notify=False)
            await self._tasks.aclose()

    async def _dispatch(self, event: dict[str, Any]) -> None:
        kind, event_id = event.get("type"), event.get("event_id")
        if kind == "session.update":
            merge(self._session, event.get("session") or {})
            self._apply_session()
            await self._send({"type": "session.updated", "session": self._session})
        elif kind == "conversation.item.create":
            await self._create_item(event)
        elif kind == "conversation.item.delete":
            item_id = str(event.get("item_id"))
            if self._items.delete(item_id):
                await self._send({"type": "conversation.item.deleted", "item_id": item_id})
            else:
                await self._error("item_delete_invalid_item_id", f"no item {item_id}", event_id)
        elif kind == "conversation.item.truncate":
            await self._send(
                {
                    "type": "conversation.item.truncated",
                    "item_id": event.get("item_id"),
                    "content_index": 0,
                    "audio_end_ms": event.get("audio_end_ms", 0),
                }
            )
        elif kind == "input_audio_buffer.commit":
            if self._input.has_commit:
                await self._input.commit_buffer()
            else:
                await self._error(
                    "input_audio_buffer_commit_empty",
                    "buffer too small: expected at least 100ms of audio",
                    event_id,
                )
        elif kind == "input_audio_buffer.clear":
            await self._input.clear()
        elif kind == "response.create":
            if self._response is not None:
                await self._error(
                    "conversation_already_has_active_response",
                    "Conversation already has an active response",
                    event_id,
                )
            elif await self._expired_by_fault():
                return
            elif self._state.faults.take("realtime", {"response_ignored"}) is not None:
                return
            elif self._state.faults.take("realtime", {"invalid_request"}) is not None:
                await self._error(
                    "invalid_value",
                    "Invalid value for 'response': the request could not be processed.",
                    event_id,
                )
            else:
                params = event.get("response") or {}
                await self._start_response(params.get("metadata"), params, announce_now=True)
        elif kind == "response.cancel":
            if not await self._cancel_response("client_cancelled", notify=True):
                await self._error(
                    "response_cancel_not_active",
                    "Cancellation failed: no active response found",
                    event_id,
                )

    async def _create_item(self, event: dict[str, Any]) -> None:
        item = dict(event.get("item") or {})
        item.setdefault("id", self._state.new_id("item"))
        item.setdefault("object", "realtime.item")
        item.setdefault("status", "completed")
        if self._items.get(item["id"]) is not None:
            await self._error(
                "item_create_duplicate_item_id", "duplicate item id", event.get("event_id")
            )
            return
        if item.get("type") == "function_call_output":
            call_id = str(item.get("call_id", ""))
            call = next(
                (
                    it
                    for it in self._items.items
                    if it.get("call_id") == call_id and it.get("type") == "function_call"
                ),
                {},
            )
            self._state.received.add_tool_result(
                ToolResult(
                    call_id=call_id,
                    name=str(call.get("name", "")),
                    output=str(item.get("output", "")),
                    via="realtime",
                )
            )
        previous = self._items.insert(item, event.get("previous_item_id"))
        for kind in ("conversation.item.added", "conversation.item.done"):
            await self._send({"type": kind, "previous_item_id": previous, "item": item})

    async def _append(self, pcm: bytes) -> None:
        td = self._turn_detection
        for turn in await self._input.append(pcm, server_vad=td is not None):
            assert td is not None
            if turn == "speech_started" and td.get("interrupt_response", True):
                await self._cancel_response("turn_detected", notify=True)
            elif (
                turn == "speech_stopped"
                and td.get("create_response", True)
                and self._response is None
                and not await self._expired_by_fault()
            ):
                await self._start_response(None, {}, announce_now=False)

    async def _start_response(
        self, metadata: dict[str, Any] | None, params: dict[str, Any], *, announce_now: bool
    ) -> None:
        """Client responses are announced at once; server ones as soon as the turn is
        committed, or after the caller's transcript (`transcript_before_response`)."""
        modalities = params.get("output_modalities") or self._session["output_modalities"]
        tools = params.get("tools")
        response = Response(
            io=self._io,
            response_id=self._state.new_id("resp"),
            metadata=metadata,
            audio="audio" in modalities,
            tools=list(tools if tools is not None else self._session.get("tools") or []),
            instructions=str(params.get("instructions") or ""),
            input_audio_s=self._input.committed_s,
            fault=self._state.faults.take("realtime", STREAM_FAULTS | RESPONSE_FAULTS),
        )
        self._response = response
        if announce_now:
            await response.announce()
        self._response_task = self._tasks.spawn(
            self._run_response(response), name="realtime-response"
        )

    async def _run_response(self, response: Response) -> None:
        try:
            state = self._state
            late = state.latency.realtime_transcript_late_s > 0  # a late one is never waited for
            if state.behaviour.realtime.transcript_before_response and not late:
                await self._input.wait_transcribed()
            await response.announce()
            await response.run()
        finally:
            if self._response is response:
                self._response, self._response_task = None, None

    async def _cancel_response(self, reason: str, *, notify: bool) -> bool:
        response, task = self._response, self._response_task
        if response is None or task is None or response.done:
            return False
        self._response, self._response_task = None, None
        task.cancel()
        await asyncio.wait([task])
        if notify and response.announced:
            await response.cancelled(reason)
        return True
