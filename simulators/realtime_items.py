"""Server-side conversation of one Realtime session, and its view for the script."""

from __future__ import annotations

import json
from typing import Any

from .script import Conversation, Message, ToolCall, count_tokens


def _content_text(item: dict[str, Any]) -> str:
    parts = []
    for part in item.get("content") or []:
        kind = part.get("type")
        if kind in ("input_text", "output_text", "text"):
            parts.append(str(part.get("text") or ""))
        elif kind in ("input_audio", "output_audio", "audio"):
            parts.append(str(part.get("transcript") or ""))
    return " ".join(p for p in parts if p)


class ItemStore:
    """Ordered conversation items (OpenAI Realtime item dicts) keyed by id.

    `heard` is what each caller audio item said: the model understands the audio at once,
    while the item's transcript field is only filled in once the transcription finishes.
    """

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.heard: dict[str, str] = {}

    def get(self, item_id: str) -> dict[str, Any] | None:
        return next((it for it in self.items if it.get("id") == item_id), None)

    def insert(self, item: dict[str, Any], previous_item_id: str | None = None) -> str | None:
        """Insert after `previous_item_id` ("root" = first, None or unknown = last).

        Returns the id of the item now preceding it (None when it is first).
        """
        if previous_item_id == "root":
            index = 0
        elif previous_item_id is not None and (prev := self.get(previous_item_id)) is not None:
            index = self.items.index(prev) + 1
        else:
            index = len(self.items)
        self.items.insert(index, item)
        return str(self.items[index - 1]["id"]) if index > 0 else None

    def delete(self, item_id: str) -> bool:
        item = self.get(item_id)
        if item is None:
            return False
        self.items.remove(item)
        return True

    def conversation(self, tools: list[dict[str, Any]], instructions: str = "") -> Conversation:
        """The items as the script sees them; tool outputs know their tool's name."""
        messages: list[Message] = []
        names: dict[str, str] = {}
        for item in self.items:
            kind = item.get("type")
            if kind == "message":
                role = item.get("role")
                text = _content_text(item) or self.heard.get(str(item.get("id")), "")
                if role == "user":
                    messages.append(Message(role="user", text=text))
                elif role == "assistant":
                    messages.append(Message(role="assistant", text=text))
                else:
                    messages.append(Message(role="system", text=text))
            elif kind == "function_call":
                names[str(item.get("call_id"))] = str(item.get("name", ""))
                try:
                    args = json.loads(item.get("arguments") or "{}")
                except json.JSONDecodeError:
                    args = {}
                call = ToolCall(name=str(item.get("name", "")), arguments=args)
                messages.append(Message(role="assistant", tool_calls=(call,)))
            elif kind == "function_call_output":
                call_id = str(item.get("call_id", ""))
                messages.append(
                    Message(
                        role="tool",
                        text=str(item.get("output", "")),
                        tool_call_id=call_id,
                        tool_name=names.get(call_id, ""),
                    )
                )
        tool_names = tuple(str(t.get("name", "")) for t in tools if t.get("type") == "function")
        return Conversation(messages=tuple(messages), tools=tool_names, instructions=instructions)


AUDIO_TOKENS_PER_S = 20


def response_usage(
    conversation: Conversation,
    *,
    spoken: str,
    calls: tuple[ToolCall, ...],
    input_audio_s: float,
    output_audio_s: float,
) -> dict[str, Any]:
    """A response's `usage`, counted roughly the way the API counts it."""
    text_in = sum(count_tokens(m.text) for m in conversation.messages)
    audio_in = int(input_audio_s * AUDIO_TOKENS_PER_S / 2)
    text_out = count_tokens(spoken) + sum(
        count_tokens(c.name + json.dumps(dict(c.arguments))) for c in calls
    )
    audio_out = int(output_audio_s * AUDIO_TOKENS_PER_S)
    return {
        "total_tokens": text_in + audio_in + text_out + audio_out,
        "input_tokens": text_in + audio_in,
        "output_tokens": text_out + audio_out,
        "input_token_details": {
            "text_tokens": text_in,
            "audio_tokens": audio_in,
            "image_tokens": 0,
            "cached_tokens": 0,
        },
        "output_token_details": {"text_tokens": text_out, "audio_tokens": audio_out},
    }
