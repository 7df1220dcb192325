"""The [fallback] settings build the framework's fallback adapters, tuned for a phone line."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from livekit.agents import AgentSession, APIConnectOptions, llm, stt, tts
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS
from livekit.plugins import cartesia, deepgram, openai, silero

from agent.acme_agent import CallState
from agent.fallbacks import fallback_enabled, realtime_conn_options
from agent.session_factory import build_session, load_vad
from agent.settings import ConfigError, Settings, load_settings
from tools.stores import open_store
from tools.support import SupportDesk

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"OPENAI_API_KEY": "sk-o", "DEEPGRAM_API_KEY": "dg", "CARTESIA_API_KEY": "ca"}
ALL_FALLBACKS = {
    "ACME_FALLBACK_STT": "openai",
    "ACME_FALLBACK_LLM_MODEL": "gpt-4o-mini",
    "ACME_FALLBACK_TTS": "openai",
    "ACME_FALLBACK_REALTIME_MODEL": "gpt-realtime-mini",
    "ACME_OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
}


def settings(**env: str) -> Settings:
    return load_settings(environ={**KEYS, **env})


@pytest.fixture
async def state(tmp_path: Path) -> AsyncIterator[CallState]:
    store = await open_store(f"sqlite:///{tmp_path}/s.db", seed=False)
    yield CallState(desk=SupportDesk(store=store))
    await store.close()


@pytest.fixture(scope="module")
def vad() -> silero.VAD:
    return load_vad(load_settings(environ={}, require_keys=False).vad)


def test_defaults_have_no_fallback(state: CallState, vad: silero.VAD) -> None:
    s = settings()
    assert not any(fallback_enabled(s, stage) for stage in ("stt", "llm", "tts", "realtime"))
    session = build_session(s, vad_model=vad, userdata=state)
    assert isinstance(session.stt, deepgram.STT)
    assert isinstance(session.llm, openai.LLM)
    assert isinstance(session.tts, cartesia.TTS)
    assert session.conn_options.llm_conn_options == DEFAULT_API_CONNECT_OPTIONS
    # speech alone still gives up on a silent attempt after fallback.tts_timeout, not 10 s
    assert session.conn_options.tts_conn_options.timeout == s.fallback.tts_timeout


def test_pipeline_chains_every_stage(state: CallState, vad: silero.VAD) -> None:
    """The framework's adapters, with the phone-line timeouts (what they do on a failure is in
    test_voice_fallbacks.py and test_llm_fallback.py)."""
    s = settings(ACME_MODE="pipeline", **ALL_FALLBACKS)
    session = build_session(s, vad_model=vad, userdata=state)
    assert isinstance(session.stt, stt.FallbackAdapter)
    assert isinstance(session.llm, llm.FallbackAdapter)
    assert isinstance(session.tts, tts.FallbackAdapter)
    options = session.conn_options
    assert options.tts_conn_options.timeout == 2.0  # the TTS adapter's per-attempt timeout
    assert options.llm_conn_options.max_retry == 1
    assert options.stt_conn_options.timeout == 2.0


def test_realtime_falls_back_to_a_second_model(state: CallState, vad: silero.VAD) -> None:
    s = settings(
        ACME_MODE="realtime",
        ACME_FALLBACK_REALTIME_BASE_URL="http://127.0.0.1:8/v1",
        **ALL_FALLBACKS,
    )
    session = build_session(s, vad_model=vad, userdata=state)
    assert isinstance(session.llm, llm.RealtimeModelFallbackAdapter)
    assert realtime_conn_options(s) == APIConnectOptions(
        max_retry=1, retry_interval=0.5, timeout=3.0
    )  # one reconnect, then the second model
    # STT, LLM and TTS fallbacks do not apply to a speech-to-speech model.
    assert session.stt is None and session.tts is None
    assert session.conn_options.tts_conn_options.timeout == s.fallback.tts_timeout


def test_realtime_text_chains_realtime_and_tts(state: CallState, vad: silero.VAD) -> None:
    s = settings(ACME_MODE="realtime_text", **ALL_FALLBACKS)
    session = build_session(s, vad_model=vad, userdata=state)
    assert isinstance(session.llm, llm.RealtimeModelFallbackAdapter)
    assert isinstance(session.tts, tts.FallbackAdapter)
    assert session.stt is None


def test_without_fallback_realtime_keeps_its_own_reconnects(
    state: CallState, vad: silero.VAD
) -> None:
    s = settings(ACME_MODE="realtime")
    session = build_session(s, vad_model=vad, userdata=state)
    assert isinstance(session.llm, openai.realtime.RealtimeModel)
    assert realtime_conn_options(s) == DEFAULT_API_CONNECT_OPTIONS


def test_stt_fallback_without_vad_is_skipped_with_a_warning(
    state: CallState, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="acme.providers"):
        session = build_session(
            settings(ACME_FALLBACK_STT="openai"), vad_model=None, userdata=state
        )
    assert isinstance(session.stt, deepgram.STT)
    assert [r.getMessage() for r in caplog.records] == [
        "stt fallback needs a VAD; running without it"
    ]


def test_another_llm_endpoint_needs_its_own_key() -> None:
    env = {"ACME_FALLBACK_LLM_MODEL": "llama-3.1-8b", "ACME_FALLBACK_LLM_BASE_URL": "http://x/v1"}
    with pytest.raises(ConfigError) as err:
        settings(**env)
    assert str(err.value) == "ACME_FALLBACK_LLM_API_KEY is required for the LLM fallback"
    s = settings(**env, ACME_FALLBACK_LLM_API_KEY="local")
    assert s.secrets.fallback_llm_api_key == "local"
    assert "local" not in repr(s.secrets)


def test_a_fallback_key_is_checked_even_when_the_mode_does_not_need_it(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[agent]\nmode = 'realtime_text'\n[fallback]\ntts = 'openai'\n")
    # realtime_text already needs OPENAI_API_KEY; the fallback adds nothing new, and says so
    with pytest.raises(ConfigError, match="OPENAI_API_KEY is required for mode=realtime_text"):
        load_settings(config_path=path, environ={"CARTESIA_API_KEY": "c"})
    s = load_settings(config_path=path, environ={"CARTESIA_API_KEY": "c", "OPENAI_API_KEY": "o"})
    assert fallback_enabled(s, "tts") and not fallback_enabled(s, "stt")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ACME_FALLBACK_STT": "whisper"}, "ACME_FALLBACK_STT: Input should be '' or 'openai'"),
        ({"ACME_FALLBACK_TTS": "elevenlabs"}, "ACME_FALLBACK_TTS: Input should be '' or 'openai'"),
    ],
)
def test_unknown_fallback_providers_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        settings(**env)
    assert str(err.value).startswith(message)


def test_missing_fallback_key_stops_startup_with_one_line() -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ACME_", "LIVEKIT_"))}
    env = {
        **clean,
        **KEYS,
        "ACME_CONFIG": str(ROOT / "config" / "settings.toml"),
        "ACME_FALLBACK_LLM_MODEL": "llama-3.1-8b",
        "ACME_FALLBACK_LLM_BASE_URL": "http://127.0.0.1:9/v1",
    }
    proc = subprocess.run(
        [sys.executable, str(ROOT / "agent" / "main.py"), "console"],
        env=env,
        cwd="/",
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "config error: ACME_FALLBACK_LLM_API_KEY is required for the LLM fallback"
    ]


async def test_provider_errors_are_logged_with_fields(
    state: CallState, vad: silero.VAD, caplog: pytest.LogCaptureFixture
) -> None:
    from livekit.agents.llm import LLMError
    from livekit.agents.voice.events import ErrorEvent

    session: AgentSession[CallState] = build_session(settings(), vad_model=vad, userdata=state)
    assert session.llm is not None
    failure = LLMError(timestamp=0.0, label="openai.LLM", error=TimeoutError(), recoverable=False)
    with caplog.at_level(logging.WARNING, logger="acme.providers"):
        session.emit("error", ErrorEvent(error=failure, source=session.llm))
    [record] = caplog.records
    assert record.getMessage() == "provider error"
    assert (record.kind, record.error, record.recoverable) == ("llm_error", "TimeoutError", False)  # type: ignore[attr-defined]
    assert (record.provider, record.failure) == ("openai.LLM", "TimeoutError")  # type: ignore[attr-defined]
