"""Worker options come from settings: LiveKit connection, health and metrics ports, drain."""

from __future__ import annotations

import pytest
from livekit.agents import AgentServer
from livekit.agents.worker import ServerEnvOption

from agent.settings import ConfigError, load_settings
from agent.worker_options import server_options

pytestmark = pytest.mark.unit


def test_defaults_health_on_8081_in_start_metrics_off() -> None:
    options = server_options(load_settings(environ={}, require_keys=False))
    assert options["drain_timeout"] == 1800
    port = options["port"]
    assert ServerEnvOption.getvalue(port, False) == 8081
    assert ServerEnvOption.getvalue(port, True) == 0  # dev/console: any free port
    assert "prometheus_port" not in options
    assert not {"ws_url", "api_key", "api_secret"} & options.keys()


def test_environment_sets_livekit_ports_and_drain() -> None:
    env = {
        "LIVEKIT_URL": "wss://acme.livekit.cloud",
        "LIVEKIT_API_KEY": "APIkey",
        "LIVEKIT_API_SECRET": "s3cret",
        "ACME_DRAIN_TIMEOUT": "120",
        "ACME_HEALTH_PORT": "9081",
        "ACME_PROMETHEUS_PORT": "9100",
    }
    settings = load_settings(environ=env, require_keys=False)
    options = server_options(settings)
    assert options["ws_url"] == "wss://acme.livekit.cloud"
    assert (options["api_key"], options["api_secret"]) == ("APIkey", "s3cret")
    assert options["drain_timeout"] == 120
    assert options["prometheus_port"] == 9100
    assert ServerEnvOption.getvalue(options["port"], False) == 9081
    assert "s3cret" not in repr(settings)


def test_options_are_accepted_by_the_server() -> None:
    env = {"LIVEKIT_URL": "ws://localhost:7880", "ACME_PROMETHEUS_PORT": "9100"}
    server = AgentServer(**server_options(load_settings(environ=env, require_keys=False)))
    assert server._ws_url == "ws://localhost:7880"
    assert server._prometheus_port == 9100
    assert server._drain_timeout == 1800


@pytest.mark.parametrize(
    ("env", "expected_start"),
    [
        ({"ACME_DRAIN_TIMEOUT": "0"}, "ACME_DRAIN_TIMEOUT: Input should be greater than"),
        ({"ACME_PROMETHEUS_PORT": "70000"}, "ACME_PROMETHEUS_PORT: Input should be less than"),
        ({"ACME_HEALTH_PORT": "http"}, "ACME_HEALTH_PORT: Input should be a valid integer"),
        ({"LIVEKIT_URL": "localhost:7880"}, "LIVEKIT_URL: String should match pattern"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], expected_start: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env, require_keys=False)
    assert str(err.value).startswith(expected_start)
