"""The worker process's own options from settings: LiveKit connection, ports and drain time."""

from __future__ import annotations

from typing import TypedDict

from livekit.agents.worker import ServerEnvOption

from agent.settings import ConfigError, Settings, load_settings


class ServerOptions(TypedDict, total=False):
    """Keyword arguments for `AgentServer(...)`; absent keys keep the framework's defaults."""

    ws_url: str
    api_key: str
    api_secret: str
    drain_timeout: int
    port: ServerEnvOption[int]
    prometheus_port: int


def server_options(settings: Settings) -> ServerOptions:
    """Options for the worker: where LiveKit is, the health and metrics ports, the drain time.

    The health server listens on `worker.health_port` in `start` mode and on a free port in
    `dev`/`console`, as the framework does. LiveKit values left empty fall back to the
    framework's own reading of LIVEKIT_URL / LIVEKIT_API_KEY / LIVEKIT_API_SECRET.
    """
    worker = settings.worker
    options = ServerOptions(
        drain_timeout=worker.drain_timeout,
        port=ServerEnvOption(dev_default=0, prod_default=worker.health_port),
    )
    if worker.prometheus_port:
        options["prometheus_port"] = worker.prometheus_port
    if settings.livekit.url:
        options["ws_url"] = settings.livekit.url
    if settings.secrets.livekit_api_key:
        options["api_key"] = settings.secrets.livekit_api_key
    if settings.secrets.livekit_api_secret:
        options["api_secret"] = settings.secrets.livekit_api_secret
    return options


def configured_server_options() -> ServerOptions:
    """`server_options` for the settings in force; defaults when they are invalid.

    Runs at import time: a bad setting is reported by `main()` before the worker starts.
    """
    try:
        settings = load_settings(require_keys=False)
    except ConfigError:
        settings = Settings()
    return server_options(settings)
