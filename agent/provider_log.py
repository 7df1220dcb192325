"""Provider failures in one log line each (which provider, what failure), and a rejected API key
logged once per call, naming the variable that holds it."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from livekit.agents import AgentSession, APIConnectionError, APIStatusError, APITimeoutError, llm
from livekit.agents.voice.events import ErrorEvent

logger = logging.getLogger("acme.providers")

_AUTH_STATUS = (401, 403)
_AUTH_CODES = ("invalid_api_key", "INVALID_AUTH")
REALTIME_KEY = "OPENAI_API_KEY"


class _Emitter(Protocol):
    def on(self, event: str, callback: Any = ...) -> Any: ...


def describe_failure(error: object) -> str:
    """A short, data-free description: `HTTP 401 invalid_api_key`, `timeout`, ..."""
    inner = getattr(error, "error", error)
    code = _code(inner)
    if isinstance(inner, APIStatusError):
        status = inner.status_code
        # plugins report a WebSocket close code (1000-4999) in the same field as HTTP statuses
        kind = f"closed {status}" if status >= 1000 else f"HTTP {status}"
        return " ".join(p for p in (kind, code) if p)
    if isinstance(inner, APITimeoutError):
        return "timeout"
    if isinstance(inner, APIConnectionError):
        return "connection lost"
    if isinstance(inner, llm.RealtimeError) or code:
        return code or str(inner).split(":")[0][:60]
    return type(inner).__name__


def key_rejected(error: object) -> bool:
    inner = getattr(error, "error", error)
    if isinstance(inner, APIStatusError) and inner.status_code in _AUTH_STATUS:
        return True
    return _code(inner) in _AUTH_CODES


def _code(inner: object) -> str | None:
    body = getattr(inner, "body", None)
    code = body.get("code") if isinstance(body, dict) else getattr(body, "code", None)
    return str(code) if code else None


def _provider(error: object, source: object) -> str:
    return str(getattr(error, "label", None) or getattr(source, "label", type(source).__name__))


class KeyReports:
    """One line per call and variable, however often the provider refuses it."""

    def __init__(self) -> None:
        self.reported: set[str] = set()

    def report(self, variable: str, provider: str) -> None:
        if variable not in self.reported:
            self.reported.add(variable)
            logger.error(
                "provider rejected the API key",
                extra={"variable": variable, "provider": provider},
            )


def watch_api_key(instance: _Emitter, variable: str, reports: KeyReports) -> None:
    """Report `instance` refusing its key, even when a fallback adapter swallows the error."""

    def on_error(ev: Any) -> None:
        if key_rejected(ev):
            reports.report(variable, _provider(ev, instance))

    instance.on("error", on_error)


def log_provider_errors(session: AgentSession[Any], reports: KeyReports) -> None:
    """Log every provider error the session reports, and whether the call can go on."""

    @session.on("error")
    def _on_error(ev: ErrorEvent) -> None:
        err = ev.error
        recoverable = bool(getattr(err, "recoverable", False))
        provider = _provider(err, ev.source)
        fields = {
            "provider": provider,
            "failure": describe_failure(err),
            "kind": getattr(err, "type", "unknown"),
            "error": type(getattr(err, "error", err)).__name__,
            "recoverable": recoverable,
        }
        if isinstance(err, llm.RealtimeModelError) and key_rejected(err):
            reports.report(REALTIME_KEY, provider)
        if recoverable:
            logger.warning("provider error, call continues", extra=fields)
        else:
            logger.error("provider error", extra=fields)
