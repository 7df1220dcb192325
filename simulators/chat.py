"""OpenAI Chat Completions simulator: streamed SSE or JSON answers decided by the script."""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

from .chat_checks import bad_request
from .chat_stream import Streamer, usage
from .faults import GENERIC_FAULTS, PROVIDER_FAULTS, FaultKind
from .log import logger
from .provider_errors import openai_unauthorized, request_key
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

        if not state.behaviour.key_accepted("openai", key := request_key(request, "openai")):
            return openai_unauthorized(key)
        fault = state.faults.take("llm", GENERIC_FAULTS | PROVIDER_FAULTS["llm"])
        refused = bad_request(
            body,
            context_tokens=state.behaviour.llm_context_tokens,
            force_context=fault == "context_length",
        )
        if refused is not None:
            return refused
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
            return await Streamer(
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
        "usage": usage(prompt_tokens, reply),
    }
