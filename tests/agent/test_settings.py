"""Settings: defaults, overrides, and one clear line for each kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from agent.settings import ConfigError, load_settings

pytestmark = pytest.mark.unit

KEYS = {"OPENAI_API_KEY": "sk-o", "DEEPGRAM_API_KEY": "dg", "CARTESIA_API_KEY": "ca"}


def test_defaults_are_the_shipped_file() -> None:
    s = load_settings(environ=KEYS)
    assert s.agent.mode == "pipeline"
    assert s.agent.name == ""
    assert s.store.url.startswith("sqlite:///")
    assert s.realtime.turn_detection.type == "server_vad"
    assert "Acme" in s.stt.keyterms


def test_environment_overrides_the_file() -> None:
    env = {
        **KEYS,
        "ACME_MODE": "realtime",
        "ACME_AGENT_NAME": "acme-support",
        "ACME_STORE_URL": "postgresql://postgres@127.0.0.1/acme",
        "ACME_STORE_POOL_SIZE": "8",
        "ACME_LLM_BASE_URL": "http://127.0.0.1:9/v1",
        "ACME_OPENAI_BASE_URL": "http://127.0.0.1:8/v1",
    }
    s = load_settings(environ=env)
    assert (s.agent.mode, s.agent.name, s.store.pool_size) == ("realtime", "acme-support", 8)
    assert s.store.url == env["ACME_STORE_URL"]
    assert s.llm_base_url == "http://127.0.0.1:9/v1"


def test_llm_base_url_falls_back_to_openai() -> None:
    s = load_settings(environ={**KEYS, "ACME_OPENAI_BASE_URL": "http://127.0.0.1:8/v1"})
    assert s.llm_base_url == "http://127.0.0.1:8/v1"


def test_settings_are_frozen() -> None:
    s = load_settings(environ=KEYS)
    with pytest.raises(ValidationError):
        s.agent.mode = "realtime"  # type: ignore[misc]


def test_secrets_never_show_in_repr() -> None:
    s = load_settings(environ=KEYS)
    assert "sk-o" not in repr(s) and "sk-o" not in str(s.secrets)


@pytest.mark.parametrize(
    ("mode", "present", "missing"),
    [
        ("pipeline", {}, "DEEPGRAM_API_KEY"),
        ("pipeline", {"DEEPGRAM_API_KEY": "d"}, "OPENAI_API_KEY"),
        ("pipeline", {"DEEPGRAM_API_KEY": "d", "OPENAI_API_KEY": "o"}, "CARTESIA_API_KEY"),
        ("realtime", {}, "OPENAI_API_KEY"),
        ("realtime_text", {"OPENAI_API_KEY": "o"}, "CARTESIA_API_KEY"),
    ],
)
def test_only_the_keys_the_mode_needs(mode: str, present: dict[str, str], missing: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(environ={"ACME_MODE": mode, **present})
    assert str(err.value) == f"{missing} is required for mode={mode}"


def test_realtime_needs_no_deepgram_or_cartesia_key() -> None:
    s = load_settings(environ={"ACME_MODE": "realtime", "OPENAI_API_KEY": "o"})
    assert s.agent.mode == "realtime"


def test_keys_not_required_when_asked() -> None:
    assert load_settings(environ={}, require_keys=False).agent.mode == "pipeline"


@pytest.mark.parametrize(
    ("env", "expected_start"),
    [
        ({"ACME_MODE": "voice"}, "ACME_MODE: Input should be 'realtime', 'pipeline'"),
        ({"ACME_STORE_POOL_SIZE": "lots"}, "ACME_STORE_POOL_SIZE: Input should be a valid integer"),
        ({"ACME_STORE_URL": "mysql://x"}, "ACME_STORE_URL: String should match pattern"),
        ({"ACME_PROMPT": "../secrets"}, "ACME_PROMPT: String should match pattern"),
    ],
)
def test_bad_environment_names_the_variable(env: dict[str, str], expected_start: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(environ={**KEYS, **env})
    assert str(err.value).startswith(expected_start)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("toml", "expected_start"),
    [
        ("[realtime]\ntemperature = 2.0\n", "bad.toml: realtime.temperature: Input should be less"),
        (
            "[realtime]\ntemperature = 0.1\n",
            "bad.toml: realtime.temperature: Input should be greater",
        ),
        (
            "[realtime.turn_detection]\ntype = 'push_to_talk'\n",
            "bad.toml: realtime.turn_detection.type: Input should be",
        ),
        ("[agent]\nmood = 'happy'\n", "bad.toml: agent.mood: Extra inputs are not permitted"),
        ("[vad]\nactivation_threshold = 1.5\n", "bad.toml: vad.activation_threshold: Input"),
        ("[agent\n", "bad.toml: invalid TOML"),
    ],
)
def test_bad_file_names_the_field(tmp_path: Path, toml: str, expected_start: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_settings(config_path=path, environ=KEYS)
    assert str(err.value).startswith(expected_start)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(environ={**KEYS, "ACME_CONFIG": str(tmp_path / "nope.toml")})


def test_dotenv_is_read_and_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("ACME_MODE=realtime\nOPENAI_API_KEY=from-dotenv\nACME_AGENT_NAME=dotenv\n")
    for var in ("ACME_MODE", "OPENAI_API_KEY", "ACME_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ACME_AGENT_NAME", "from-env")
    s = load_settings(dotenv_path=dotenv)
    assert s.agent.mode == "realtime"
    assert s.secrets.openai_api_key == "from-dotenv"
    assert s.agent.name == "from-env"


def test_security_defaults_and_overrides() -> None:
    shipped = load_settings(environ={}, require_keys=False)
    assert shipped.telephony.trust_caller_id is False  # caller ID identifies, it does not prove
    assert shipped.security.returns_need_verification is True
    assert (shipped.security.lockout_failures, shipped.security.lockout_window_hours) == (5, 24)
    relaxed = load_settings(
        environ={
            "ACME_TRUST_CALLER_ID": "true",
            "ACME_RETURNS_NEED_VERIFICATION": "false",
            "ACME_LOCKOUT_FAILURES": "3",
            "ACME_LOCKOUT_WINDOW_HOURS": "1.5",
        },
        require_keys=False,
    )
    assert relaxed.telephony.trust_caller_id is True
    assert relaxed.security.returns_need_verification is False
    assert (relaxed.security.lockout_failures, relaxed.security.lockout_window_hours) == (3, 1.5)
    with pytest.raises(ConfigError, match=r"^ACME_LOCKOUT_FAILURES: "):
        load_settings(environ={"ACME_LOCKOUT_FAILURES": "0"}, require_keys=False)


@pytest.mark.parametrize(
    ("env", "secret"),
    [
        ({"ACME_STORE_URL": "mysql://acme:S3cret@db/acme"}, "S3cret"),
        ({"ACME_STORE_URL": "postgresql://acme:S3cret@db/acme?x"}, None),  # valid: no error
        ({"LIVEKIT_URL": "wss://user:Pa55word@lk.example.com bad"}, "Pa55word"),
        ({"ACME_STORE_POOL_SIZE": "sk-proj-Abc123Def456Ghi789"}, "Abc123Def456Ghi789"),
        ({"ACME_DRAIN_TIMEOUT": "0123456789abcdef0123456789abcdef01234567"}, "0123456789abcdef"),
        (
            {"ACME_STORE_URL": "mysql://db/acme?password=hunter2&sslmode=require"},
            "hunter2",
        ),
        # A configured key pasted into the wrong variable is masked by its value.
        ({"ACME_MODE": "my-deepgram-key-77", "DEEPGRAM_API_KEY": "my-deepgram-key-77"}, "77"),
    ],
)
def test_config_errors_never_echo_secrets(env: dict[str, str], secret: str | None) -> None:
    if secret is None:
        load_settings(environ=env, require_keys=False)
        return
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env, require_keys=False)
    message = str(err.value)
    assert secret not in message, message
    assert next(iter(env)) in message and "***" in message and "\n" not in message


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"ACME_AGENT_NAME": "acme-support", "LIVEKIT_AGENT_NAME": "other"},
            "ACME_AGENT_NAME and LIVEKIT_AGENT_NAME disagree: set one of them",
        ),
        (
            {"ACME_DEEPGRAM_BASE_URL": "https://api.deepgram.com/v2/speak"},
            "ACME_DEEPGRAM_BASE_URL: Value error, expected a Deepgram URL such as "
            "https://api.deepgram.com, optionally ending in /v1/listen",
        ),
        (
            {"ACME_OPENAI_BASE_URL": "https://api.openai.com/v1/chat"},
            "ACME_OPENAI_BASE_URL: Value error, expected an OpenAI URL such as "
            "https://api.openai.com or one ending in /v1",
        ),
        (
            {"ACME_CARTESIA_BASE_URL": "https://api.cartesia.ai/tts/websocket"},
            "ACME_CARTESIA_BASE_URL: Value error, expected a Cartesia URL such as "
            "https://api.cartesia.ai (no path)",
        ),
        (
            {"ACME_MODE": "realtime", "OPENAI_API_KEY": "x", "LIVEKIT_URL": "ws://h:7880"},
            "LIVEKIT_API_KEY is required for start",
        ),
    ],
)
def test_settings_that_cannot_work_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env, require_keys=False, command="start")
    assert str(err.value).startswith(message)


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("https://api.openai.com", "https://api.openai.com/v1"),
        ("https://api.openai.com/v1/", "https://api.openai.com/v1"),
        ("http://127.0.0.1:11434/v1", "http://127.0.0.1:11434/v1"),
    ],
)
def test_openai_urls_with_or_without_v1(given: str, used: str) -> None:
    env = {"ACME_OPENAI_BASE_URL": given, "ACME_LLM_BASE_URL": given}
    settings = load_settings(environ=env, require_keys=False)
    assert settings.openai.base_url == settings.llm_base_url == used


@pytest.mark.parametrize(
    "given", ["https://api.deepgram.com", "https://api.deepgram.com/v1", "wss://h/v1/listen"]
)
def test_deepgram_urls_reach_the_listen_endpoint(given: str) -> None:
    settings = load_settings(environ={"ACME_DEEPGRAM_BASE_URL": given}, require_keys=False)
    assert settings.stt.base_url.endswith("/v1/listen")


def test_one_agent_name_from_either_variable() -> None:
    for var in ("ACME_AGENT_NAME", "LIVEKIT_AGENT_NAME"):
        assert load_settings(environ={var: "acme"}, require_keys=False).agent.name == "acme"
    both = {"ACME_AGENT_NAME": "acme", "LIVEKIT_AGENT_NAME": "acme"}
    assert load_settings(environ=both, require_keys=False).agent.name == "acme"
