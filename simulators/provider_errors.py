"""Error bodies as each provider writes them, and the API key each request carries."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .behaviour import Provider

OPENAI_SERVER_ERROR = (
    "The server had an error while processing your request. Sorry about that! You can retry "
    "your request, or contact us through our help center if the error persists."
)


def request_key(request: web.Request, provider: Provider) -> str:
    """The key as the provider reads it: OpenAI `Bearer`, Deepgram `Token`, Cartesia header."""
    if provider == "cartesia":
        return request.headers.get("X-API-Key", "") or request.query.get("api_key", "")
    scheme = "Token " if provider == "deepgram" else "Bearer "
    header = request.headers.get("Authorization", "")
    return header[len(scheme) :] if header.startswith(scheme) else ""


def masked(key: str) -> str:
    """How OpenAI echoes a wrong key: its start and end only."""
    return f"{key[:3]}{'*' * 4}{key[-2:]}" if len(key) > 6 else "*" * len(key)


def openai_error(
    message: str, *, kind: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    return {"message": message, "type": kind, "param": param, "code": code}


def openai_invalid_key(key: str) -> dict[str, Any]:
    return openai_error(
        f"Incorrect API key provided: {masked(key)}. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        kind="invalid_request_error",
        code="invalid_api_key",
    )


def openai_unauthorized(key: str) -> web.Response:
    """401 from an OpenAI HTTP route."""
    return web.json_response({"error": openai_invalid_key(key)}, status=401)


def deepgram_unauthorized(request_id: str) -> web.Response:
    """401 refusing a Deepgram WebSocket handshake."""
    body = {
        "err_code": "INVALID_AUTH",
        "err_msg": "Invalid credentials.",
        "request_id": request_id,
    }
    return web.json_response(body, status=401, headers={"dg-error": "Invalid credentials."})


def cartesia_unauthorized() -> web.Response:
    """401 refusing a Cartesia request or WebSocket handshake."""
    body = {
        "error_code": "invalid_api_key",
        "title": "Invalid API key",
        "message": "The API key provided is invalid. Check the X-API-Key header.",
        "request_id": "00000000-0000-0000-0000-000000000000",
    }
    return web.json_response(body, status=401)


def cartesia_context_error(context_id: str, *, status_code: int = 500) -> dict[str, Any]:
    """A per-context WebSocket error (the context ends: `done` is true)."""
    return {
        "type": "error",
        "context_id": context_id,
        "done": True,
        "status_code": status_code,
        "error_code": "internal_error",
        "title": "Internal error",
        "message": "An internal error occurred while generating audio.",
        "error": "An internal error occurred while generating audio.",
    }


SERVER_ERROR = {"type": "server_error", "code": None, "message": OPENAI_SERVER_ERROR}
RATE_LIMITED = {
    "type": "invalid_request_error",
    "code": "inference_rate_limit_exceeded",
    "message": "Rate limit reached for requests. Please try again shortly.",
}
REALTIME_FAILURES: dict[str | None, dict[str, Any]] = {
    "response_failed": SERVER_ERROR,
    "server_error_event": SERVER_ERROR,
    "rate_limited": RATE_LIMITED,
}


def rate_limits(*, remaining_requests: int, remaining_tokens: int) -> list[dict[str, Any]]:
    """`rate_limits.updated` entries as sent at the start of a response."""
    return [
        {
            "name": "requests",
            "limit": 5000,
            "remaining": remaining_requests,
            "reset_seconds": 0.012,
        },
        {"name": "tokens", "limit": 40000, "remaining": remaining_tokens, "reset_seconds": 1.5},
    ]
