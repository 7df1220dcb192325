"""One Realtime response: scripted text/tool calls streamed as OpenAI Realtime server events."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .audio import iter_chunks, synthesize_async
from .faults import FaultKind
from .provider_errors import REALTIME_FAILURES, SERVER_ERROR, rate_limits
from .realtime_items import ItemStore, response_usage
from .script import Reply, ToolCall, split_tokens
from .state import SimState

SAMPLE_RATE = 24000
CHUNK_S = 0.04


@dataclass(kw_only=True)
class ResponseIO:
    """What a response needs from its connection."""

    state: SimState
    send: Callable[[dict[str, Any]], Awaitable[None]]
    send_raw: Callable[[str], Awaitable[None]]
    drop: Callable[[], Awaitable[None]]
    items: ItemStore


class Response:
    """Generates one response; `run` ends with `response.done`, or `cancelled` does."""

    def __init__(
        self,
        *,
        io: ResponseIO,
        response_id: str,
        metadata: dict[str, Any] | None,
        audio: bool,
        tools: list[dict[str, Any]],
        instructions: str = "",
        input_audio_s: float,
        fault: FaultKind | None,
    ) -> None:
        self._io = io
        self.id = response_id
        self._metadata = metadata
        self._audio = audio
        self._tools = tools
        self._instructions = instructions
        self._input_audio_s = input_audio_s
        self._fault = fault
        self._output: list[dict[str, Any]] = []
        self._open_item: dict[str, Any] | None = None
        self._spoken = ""
        self._audio_out_s = 0.0
        self._reply = Reply()
        self.done = False
        self.announced = False

    async def announce(self) -> None:
        """Send `response.created` (once), then the rate limits it reserved."""
        if not self.announced:
            self.announced = True
            await self._io.send(
                {"type": "response.created", "response": self.snapshot("in_progress")}
            )
            if self._io.state.behaviour.realtime.rate_limits:
                exhausted = self._fault == "rate_limited"
                await self._io.send(
                    {
                        "type": "rate_limits.updated",
                        "rate_limits": rate_limits(
                            remaining_requests=0 if exhausted else 4999,
                            remaining_tokens=0 if exhausted else 39_000,
                        ),
                    }
                )

    def snapshot(self, status: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "realtime.response",
            "status": status,
            "status_details": details,
            "output": self._output,
            "metadata": self._metadata,
            "conversation_id": "conv_simulator",
            "output_modalities": ["audio"] if self._audio else ["text"],
            "max_output_tokens": "inf",
            "usage": self._usage() if status != "in_progress" else None,
        }

    def _usage(self) -> dict[str, Any]:
        return response_usage(
            self._io.items.conversation(self._tools),
            spoken=self._spoken,
            calls=self._reply.tool_calls,
            input_audio_s=self._input_audio_s,
            output_audio_s=self._audio_out_s,
        )

    async def run(self) -> None:
        io, state = self._io, self._io.state
        conversation = io.items.conversation(self._tools, self._instructions)
        self._reply = state.script.reply(conversation)
        state.received.replies.append(self._reply)
        await state.sleep(state.latency.realtime_first_audio_s)
        if self._fault in REALTIME_FAILURES:
            await self._fail()
            return
        if self._fault == "malformed":  # valid JSON, but an item without its id
            await io.send(
                {
                    "type": "response.output_item.added",
                    "response_id": self.id,
                    "output_index": 0,
                    "item": {"type": "message"},
                }
            )
        text = self._reply.text
        if self._fault == "response_incomplete":
            text = " ".join(text.split()[: max(1, len(text.split()) // 3)])
        if text and not await self._message(text):
            return
        if self._fault == "response_incomplete":
            self.done = True
            details = {"type": "incomplete", "reason": "max_output_tokens"}
            await io.send(
                {"type": "response.done", "response": self.snapshot("incomplete", details)}
            )
            return
        for call in self._reply.tool_calls:
            await self._function_call(call)
        if self._fault == "close_mid_stream":
            await io.drop()
            return
        self.done = True
        await io.send({"type": "response.done", "response": self.snapshot("completed")})

    async def _fail(self) -> None:
        """End the response as failed, as the real API does on a server error or rate limit."""
        error = REALTIME_FAILURES[self._fault] if self._fault in REALTIME_FAILURES else SERVER_ERROR
        if self._fault == "server_error_event":
            await self._io.send(
                {"type": "error", "error": {**error, "param": None, "event_id": None}}
            )
        self.done = True
        details = {"type": "failed", "error": error}
        await self._io.send({"type": "response.done", "response": self.snapshot("failed", details)})

    async def cancelled(self, reason: str) -> None:
        """Close the open item as incomplete and report the response as cancelled."""
        self.done = True
        if (item := self._open_item) is not None:
            item["status"] = "incomplete"
            item["content"] = [self._part(self._spoken)]
            await self._io.send(
                {
                    "type": "response.output_item.done",
                    "response_id": self.id,
                    "output_index": len(self._output) - 1,
                    "item": item,
                }
            )
        details = {"type": "cancelled", "reason": reason}
        await self._io.send(
            {"type": "response.done", "response": self.snapshot("cancelled", details)}
        )

    def _part(self, text: str) -> dict[str, Any]:
        if self._audio:
            return {"type": "output_audio", "transcript": text}
        return {"type": "output_text", "text": text}

    async def _add_item(self, item: dict[str, Any]) -> int:
        index = len(self._output)
        self._output.append(item)
        await self._io.send(
            {
                "type": "response.output_item.added",
                "response_id": self.id,
                "output_index": index,
                "item": item,
            }
        )
        previous = self._io.items.insert(item)
        await self._io.send(
            {"type": "conversation.item.added", "previous_item_id": previous, "item": item}
        )
        return index

    async def _message(self, text: str) -> bool:
        """Stream one assistant message; False when the connection was dropped by a fault."""
        io, state = self._io, self._io.state
        item: dict[str, Any] = {
            "id": state.new_id("item"),
            "object": "realtime.item",
            "type": "message",
            "role": "assistant",
            "status": "in_progress",
            "content": [],
        }
        self._open_item = item
        index = await self._add_item(item)
        ids = {
            "response_id": self.id,
            "item_id": item["id"],
            "output_index": index,
            "content_index": 0,
        }
        empty = {"type": "audio", "transcript": ""} if self._audio else {"type": "text", "text": ""}
        await io.send({"type": "response.content_part.added", **ids, "part": empty})
        tokens = split_tokens(text)
        if self._audio:
            chunks = list(
                iter_chunks(
                    await synthesize_async(text, sample_rate=SAMPLE_RATE),
                    sample_rate=SAMPLE_RATE,
                    chunk_s=CHUNK_S,
                )
            )
            sent = 0
            for i, chunk in enumerate(chunks):
                if self._fault == "close_mid_stream" and i >= len(chunks) // 2:
                    await io.drop()
                    return False
                while sent < len(tokens) and sent * len(chunks) <= i * len(tokens):
                    self._spoken += tokens[sent]
                    await io.send(
                        {
                            "type": "response.output_audio_transcript.delta",
                            **ids,
                            "delta": tokens[sent],
                        }
                    )
                    sent += 1
                await io.send(
                    {
                        "type": "response.output_audio.delta",
                        **ids,
                        "delta": base64.b64encode(chunk).decode(),
                    }
                )
                self._audio_out_s += len(chunk) / 2 / SAMPLE_RATE
                await state.sleep(state.latency.audio_pace_s(len(chunk) / 2 / SAMPLE_RATE))
            for token in tokens[sent:]:
                self._spoken += token
                await io.send(
                    {"type": "response.output_audio_transcript.delta", **ids, "delta": token}
                )
            await io.send({"type": "response.output_audio.done", **ids})
            await io.send(
                {"type": "response.output_audio_transcript.done", **ids, "transcript": text}
            )
        else:
            for i, token in enumerate(tokens):
                if self._fault == "close_mid_stream" and i >= max(1, len(tokens) // 2):
                    await io.drop()
                    return False
                self._spoken += token
                await io.send({"type": "response.output_text.delta", **ids, "delta": token})
                await state.sleep(state.latency.token_interval_s())
            await io.send({"type": "response.output_text.done", **ids, "text": text})
        await io.send({"type": "response.content_part.done", **ids, "part": self._part(text)})
        item["status"], item["content"] = "completed", [self._part(text)]
        self._open_item = None
        await io.send(
            {
                "type": "response.output_item.done",
                "response_id": self.id,
                "output_index": index,
                "item": item,
            }
        )
        await io.send({"type": "conversation.item.done", "item": item})
        return True

    async def _function_call(self, call: ToolCall) -> None:
        io, state = self._io, self._io.state
        arguments = json.dumps(dict(call.arguments))
        item: dict[str, Any] = {
            "id": state.new_id("item"),
            "object": "realtime.item",
            "type": "function_call",
            "status": "in_progress",
            "name": call.name,
            "call_id": state.new_id("call"),
            "arguments": "",
        }
        index = await self._add_item(item)
        ids = {
            "response_id": self.id,
            "item_id": item["id"],
            "output_index": index,
            "call_id": item["call_id"],
        }
        await io.send({"type": "response.function_call_arguments.delta", **ids, "delta": arguments})
        await io.send(
            {
                "type": "response.function_call_arguments.done",
                **ids,
                "name": call.name,
                "arguments": arguments,
            }
        )
        item["status"], item["arguments"] = "completed", arguments
        await io.send(
            {
                "type": "response.output_item.done",
                "response_id": self.id,
                "output_index": index,
                "item": item,
            }
        )
        await io.send({"type": "conversation.item.done", "item": item})
