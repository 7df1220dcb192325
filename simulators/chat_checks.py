"""Chat Completions request checks the real API makes before answering, with its 400 bodies."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .provider_errors import openai_error
from .script import count_tokens

ORPHAN_TOOL_MESSAGE = (
    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message "
    "with 'tool_calls'."
)


def prompt_tokens(body: dict[str, Any]) -> int:
    """The request's size in tokens, as the simulator counts them (4 characters a token)."""
    return count_tokens(json.dumps(body.get("messages") or [])) + count_tokens(
        json.dumps(body.get("tools") or [])
    )


def orphan_tool_message(body: dict[str, Any]) -> int | None:
    """Index of the first `tool` message whose call no earlier assistant message made."""
    called: set[str] = set()
    for index, message in enumerate(body.get("messages") or []):
        if message.get("role") == "assistant":
            called.update(str(c.get("id")) for c in message.get("tool_calls") or [])
        elif message.get("role") == "tool" and str(message.get("tool_call_id")) not in called:
            return index
    return None


def bad_request(
    body: dict[str, Any], *, context_tokens: int, force_context: bool
) -> web.Response | None:
    """The 400 the real API gives this request, or None when it is acceptable."""
    if (index := orphan_tool_message(body)) is not None:
        error = openai_error(
            ORPHAN_TOOL_MESSAGE, kind="invalid_request_error", param=f"messages.[{index}].role"
        )
        return web.json_response({"error": error}, status=400)
    tokens = prompt_tokens(body)
    if force_context or tokens > context_tokens:
        limit = min(context_tokens, max(1, tokens - 1))
        error = openai_error(
            f"This model's maximum context length is {limit} tokens. However, your messages "
            f"resulted in {tokens} tokens. Please reduce the length of the messages.",
            kind="invalid_request_error",
            code="context_length_exceeded",
            param="messages",
        )
        return web.json_response({"error": error}, status=400)
    return None
