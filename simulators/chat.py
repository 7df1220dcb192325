"""OpenAI Chat Completions simulator: streamed SSE or JSON answers decided by the script."""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

from .faults import FaultKind
from .log import logger
from .record import ToolResult
from .script import Conversation, Message, Reply, ToolCall, count_tokens, split_tokens
from .state import SimState

MODELS = ("gpt-4.1", "gpt-4.1-mini", "gpt-4o-mini", "gpt-realtime")


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def conversation_from_request(body: dict[str, Any]) -> Conversation:
    """Normalise Chat Completions `messages` and `tools` for the script."""
    messages: list[Message] = []
    names_by_call: dict[str, str] = {}
    for raw in body.get("messages") or []:
        role = raw.get("role")
        if role in ("system", "developer"):
            messages.append(Message(role="system", text=_text_of(raw.get("content"))))
        elif role == "user":
            messages.append(Message(role="user", text=_text_of(raw.get("content"))))
        elif role == "assistant":
            calls = []
            for call in raw.get("tool_calls") or []:
                fn = call.get("function") or {}
                names_by_call[str(call.get("id"))] = str(fn.get("name", ""))
                try:
                    args = json.loads(fn.get("arguments") or "{}")
                except json.JSONDecodeError:
                    args = {}
                calls.append(ToolCall(name=str(fn.get("name", "")), arguments=args))
            text = _text_of(raw.get("content"))
            messages.append(Message(role="assistant", text=text, tool_calls=tuple(calls)))
        elif role == "tool":
            call_id = str(raw.get("tool_call_id", ""))
            messages.append(
                Message(
                    role="tool",
                    text=_text_of(raw.get("content")),
                    tool_call_id=call_id,
                    tool_name=names_by_call.get(call_id, ""),
                )
            )
    tools = tuple(str((t.get("function") or {}).get("name", "")) for t in body.get("tools") or [])
    return Conversation(messages=tuple(messages), tools=tools)


class ChatCompletions:
    """Handlers for `POST /v1/chat/completions` and `GET /v1/models`."""

    def __init__(self, *, state: SimState) -> None:
        self._state = state

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v1/chat/completions", self.completions),
            web.get("/v1/models", self.models),
        ]

    async def models(self, request: web.Request) -> web.Response:
        now = int(time.time())
        data = [
            {"id": m, "object": "model", "created": now, "owned_by": "simulator"} for m in MODELS
        ]
        return web.json_response({"object": "list", "data": data})

    async def completions(self, request: web.Request) -> web.StreamResponse:
        state = self._state
        body: dict[str, Any] = await request.json()
        state.received.llm_requests.append(body)
        conversation = conversation_from_request(body)
        for msg in conversation.messages:
            if msg.role == "tool":
                result = ToolResult(
                    call_id=msg.tool_call_id, name=msg.tool_name, output=msg.text, via="llm"
                )
                state.received.add_tool_result(result)

        fault = state.faults.take("llm")
        if fault in ("http_500", "http_429"):
            return _error_response(fault, retry_after_s=state.faults.retry_after_s)
        if fault == "stall":
            await state.stall(request)
            return web.Response(status=504)

        reply = state.script.reply(conversation)
        state.received.replies.append(reply)
        prompt_tokens = sum(count_tokens(m.text) for m in conversation.messages)
        logger.debug("chat completion", extra={"text": reply.text, "calls": len(reply.tool_calls)})
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return await _Streamer(
                state=state, request=request, body=body, include_usage=include_usage
            ).run(reply, prompt_tokens, fault)
        await state.sleep(
            state.latency.llm_ttft_s
            + state.latency.token_interval_s() * len(split_tokens(reply.text))
        )
        return web.json_response(_completion(state, body, reply, prompt_tokens))


def _error_response(kind: FaultKind, *, retry_after_s: int) -> web.Response:
    if kind == "http_429":
        error = {
            "message": "Rate limit reached (simulated)",
            "type": "requests",
            "code": "rate_limit_exceeded",
            "param": None,
        }
        return web.json_response(
            {"error": error}, status=429, headers={"Retry-After": str(retry_after_s)}
        )
    error = {
        "message": "The server had an error (simulated)",
        "type": "server_error",
        "code": None,
        "param": None,
    }
    return web.json_response({"error": error}, status=500)


def _usage(prompt_tokens: int, reply: Reply) -> dict[str, Any]:
    completion = count_tokens(reply.text) + sum(
        count_tokens(c.name + json.dumps(dict(c.arguments))) for c in reply.tool_calls
    )
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": prompt_tokens + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }


def _completion(
    state: SimState, body: dict[str, Any], reply: Reply, prompt_tokens: int
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": state.new_id("call"),
                "type": "function",
                "function": {"name": c.name, "arguments": json.dumps(dict(c.arguments))},
            }
            for c in reply.tool_calls
        ]
    return {
        "id": state.new_id("chatcmpl"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", MODELS[0]),
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            }
        ],
        "usage": _usage(prompt_tokens, reply),
    }


class _Streamer:
    """Writes one streamed completion as `chat.completion.chunk` Server-Sent Events."""

    def __init__(
        self, *, state: SimState, request: web.Request, body: dict[str, Any], include_usage: bool
    ) -> None:
        self._state = state
        self._request = request
        self._include_usage = include_usage
        self._id = state.new_id("chatcmpl")
        self._model = str(body.get("model", MODELS[0]))
        self._resp = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "x-request-id": self._id,
            }
        )

    def _chunk(self, choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": self._model,
            "system_fingerprint": "fp_simulator",
            "choices": choices,
            **extra,
        }

    def _delta(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return self._chunk(
            [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]
        )

    async def _send(self, payload: dict[str, Any] | str) -> None:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        await self._resp.write(f"data: {data}\n\n".encode())

    async def run(
        self, reply: Reply, prompt_tokens: int, fault: FaultKind | None
    ) -> web.StreamResponse:
        state, latency = self._state, self._state.latency
        await self._resp.prepare(self._request)
        await state.sleep(latency.llm_ttft_s)
        await self._send(self._delta({"role": "assistant", "content": ""}))
        if fault == "malformed":
            await self._send("{this is not json")
            await self._send("[DONE]")
            return self._resp

        pieces: list[dict[str, Any]] = [{"content": tok} for tok in split_tokens(reply.text)]
        for index, call in enumerate(reply.tool_calls):
            pieces.append(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": state.new_id("call"),
                            "type": "function",
                            "function": {"name": call.name, "arguments": ""},
                        }
                    ]
                }
            )
            for frag in split_tokens(json.dumps(dict(call.arguments))):
                pieces.append({"tool_calls": [{"index": index, "function": {"arguments": frag}}]})

        for i, delta in enumerate(pieces):
            if fault == "close_mid_stream" and i >= max(1, len(pieces) // 2):
                _drop(self._request)
                return self._resp
            if i:
                await state.sleep(latency.token_interval_s())
            await self._send(self._delta(delta))
        if fault == "close_mid_stream":
            _drop(self._request)
            return self._resp

        finish = "tool_calls" if reply.tool_calls else "stop"
        await self._send(self._delta({}, finish_reason=finish))
        if self._include_usage:
            await self._send(self._chunk([], usage=_usage(prompt_tokens, reply)))
        await self._send("[DONE]")
        await self._resp.write_eof()
        return self._resp


def _drop(request: web.Request) -> None:
    """Cut the TCP connection without terminating the chunked body."""
    if request.transport is not None:
        request.transport.abort()
