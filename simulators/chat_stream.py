"""One streamed Chat Completions answer as Server-Sent Events, including how real streams end
badly: an `error` object mid-stream, `finish_reason` `length` or `content_filter`, refusals."""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

from .faults import FaultKind
from .provider_errors import OPENAI_SERVER_ERROR, openai_error
from .script import Reply, count_tokens, split_tokens
from .state import SimState

MODEL = "gpt-4.1"
REFUSAL = "I'm sorry, I can't help with that."


def usage(prompt_tokens: int, reply: Reply) -> dict[str, Any]:
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


class Streamer:
    """Writes one streamed completion as `chat.completion.chunk` Server-Sent Events."""

    def __init__(
        self, *, state: SimState, request: web.Request, body: dict[str, Any], include_usage: bool
    ) -> None:
        self._state = state
        self._request = request
        self._include_usage = include_usage
        self._id = state.new_id("chatcmpl")
        self._model = str(body.get("model", MODEL))
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
        if fault == "refusal":
            await self._send(self._delta({"role": "assistant", "content": None, "refusal": ""}))
            for token in split_tokens(REFUSAL):
                await self._send(self._delta({"refusal": token}))
            return await self._finish("stop", prompt_tokens, reply)
        await self._send(self._delta({"role": "assistant", "content": ""}))
        if fault == "malformed":
            await self._send("{this is not json")
            await self._send("[DONE]")
            return self._resp

        pieces = self._pieces(reply)
        cut = max(1, len(pieces) // 2)
        if fault in ("length", "content_filter") and reply.text:
            pieces = pieces[:cut]
        for i, delta in enumerate(pieces):
            if fault in ("close_mid_stream", "error_mid_stream") and i >= cut:
                break
            if i:
                await state.sleep(latency.token_interval_s())
            await self._send(self._delta(delta))
        if fault == "close_mid_stream":
            _drop(self._request)
            return self._resp
        if fault == "error_mid_stream":  # the API reports it in the stream, then ends it
            await self._send({"error": openai_error(OPENAI_SERVER_ERROR, kind="server_error")})
            await self._resp.write_eof()
            return self._resp
        if fault in ("length", "content_filter"):
            return await self._finish(fault, prompt_tokens, reply)
        return await self._finish(
            "tool_calls" if reply.tool_calls else "stop", prompt_tokens, reply
        )

    def _pieces(self, reply: Reply) -> list[dict[str, Any]]:
        pieces: list[dict[str, Any]] = [{"content": tok} for tok in split_tokens(reply.text)]
        for index, call in enumerate(reply.tool_calls):
            pieces.append(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": self._state.new_id("call"),
                            "type": "function",
                            "function": {"name": call.name, "arguments": ""},
                        }
                    ]
                }
            )
            for frag in split_tokens(json.dumps(dict(call.arguments))):
                pieces.append({"tool_calls": [{"index": index, "function": {"arguments": frag}}]})
        return pieces

    async def _finish(self, reason: str, prompt_tokens: int, reply: Reply) -> web.StreamResponse:
        await self._send(self._delta({}, finish_reason=reason))
        if self._include_usage:
            await self._send(self._chunk([], usage=usage(prompt_tokens, reply)))
        await self._send("[DONE]")
        await self._resp.write_eof()
        return self._resp


def _drop(request: web.Request) -> None:
    """Cut the TCP connection without terminating the chunked body."""
    if request.transport is not None:
        request.transport.abort()
