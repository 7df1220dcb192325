"""build_session picks the right real plugins, with their options, for each mode (no network)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from livekit.agents import AgentSession
from livekit.plugins import cartesia, deepgram, openai, silero

from agent.acme_agent import CallState
from agent.session_factory import build_session, load_vad
from agent.settings import Settings, load_settings
from tools.stores import open_store
from tools.support import SupportDesk

pytestmark = pytest.mark.unit

KEYS = {"OPENAI_API_KEY": "sk-o", "DEEPGRAM_API_KEY": "dg", "CARTESIA_API_KEY": "ca"}


def settings_for(tmp_path: Path, **env: str) -> Settings:
    path = tmp_path / "settings.toml"
    path.write_text(
        "[realtime.turn_detection]\n"
        "type = 'server_vad'\nthreshold = 0.7\nprefix_padding_ms = 200\nsilence_duration_ms = 650\n"
        "[turn_handling]\nmin_endpointing_delay = 0.3\nmax_endpointing_delay = 2.0\n"
        "interruptions = false\npreemptive_generation = false\n"
        "[stt]\nkeyterms = ['Acme', 'RMA']\n"
    )
    return load_settings(config_path=path, environ={**KEYS, **env})


@pytest.fixture
async def state(tmp_path: Path) -> AsyncIterator[CallState]:
    store = await open_store(f"sqlite:///{tmp_path}/s.db", seed=False)
    yield CallState(desk=SupportDesk(store=store))
    await store.close()


@pytest.fixture(scope="module")
def vad() -> silero.VAD:
    return load_vad(load_settings(environ={}, require_keys=False).vad)


def test_pipeline_mode(tmp_path: Path, state: CallState, vad: silero.VAD) -> None:
    s = settings_for(
        tmp_path,
        ACME_MODE="pipeline",
        ACME_DEEPGRAM_BASE_URL="http://127.0.0.1:9/v1/listen",
        ACME_LLM_BASE_URL="http://127.0.0.1:9/v1",
        ACME_CARTESIA_BASE_URL="http://127.0.0.1:9",
        ACME_TTS_VOICE="voice-123",
    )
    session = build_session(s, vad_model=vad, userdata=state)
    assert isinstance(session.stt, deepgram.STT)
    assert isinstance(session.llm, openai.LLM)
    assert isinstance(session.tts, cartesia.TTS)
    assert session.vad is vad
    assert session.stt._opts.model == "nova-3"
    assert session.stt._opts.keyterm == ["Acme", "RMA"]
    assert session.stt._opts.endpoint_url == "http://127.0.0.1:9/v1/listen"
    assert session.llm.model == s.llm.model
    assert str(session.llm._client.base_url).startswith("http://127.0.0.1:9/v1")
    assert session.tts._opts.voice == "voice-123"
    assert session.tts._opts.base_url == "http://127.0.0.1:9"
    assert session.userdata is state
    _assert_turn_handling(session)


def test_realtime_mode(tmp_path: Path, state: CallState, vad: silero.VAD) -> None:
    s = settings_for(tmp_path, ACME_MODE="realtime", ACME_OPENAI_BASE_URL="http://127.0.0.1:9/v1")
    session = build_session(s, vad_model=vad, userdata=state)
    model = session.llm
    assert isinstance(model, openai.realtime.RealtimeModel)
    assert session.stt is None and session.tts is None
    opts = model._opts
    assert opts.modalities == ["audio"]
    assert opts.base_url == "http://127.0.0.1:9/v1"
    assert (opts.model, opts.voice) == (s.realtime.model, s.realtime.voice)
    td = opts.turn_detection
    assert td is not None and td.type == "server_vad"
    assert (td.threshold, td.prefix_padding_ms, td.silence_duration_ms) == (0.7, 200, 650)
    _assert_turn_handling(session)


def test_realtime_semantic_vad(tmp_path: Path, state: CallState) -> None:
    path = tmp_path / "semantic.toml"
    path.write_text("[realtime.turn_detection]\ntype = 'semantic_vad'\neagerness = 'high'\n")
    s = load_settings(config_path=path, environ={**KEYS, "ACME_MODE": "realtime"})
    session = build_session(s, vad_model=None, userdata=state)
    assert isinstance(session.llm, openai.realtime.RealtimeModel)
    td = session.llm._opts.turn_detection
    assert td is not None and td.type == "semantic_vad" and td.eagerness == "high"


def test_realtime_text_mode(tmp_path: Path, state: CallState, vad: silero.VAD) -> None:
    s = settings_for(tmp_path, ACME_MODE="realtime_text")
    session = build_session(s, vad_model=vad, userdata=state)
    assert isinstance(session.llm, openai.realtime.RealtimeModel)
    assert session.llm._opts.modalities == ["text"]
    assert isinstance(session.tts, cartesia.TTS)
    assert session.stt is None


def _assert_turn_handling(session: AgentSession[CallState]) -> None:
    opts = session.options
    assert opts.endpointing["min_delay"] == 0.3
    assert opts.endpointing["max_delay"] == 2.0
    assert opts.interruption["enabled"] is False
    assert opts.preemptive_generation["enabled"] is False


def test_unset_endpointing_uses_the_framework_default(state: CallState) -> None:
    s = load_settings(environ=KEYS)
    assert s.turn_handling.min_endpointing_delay is None
    session = build_session(s, vad_model=None, userdata=state)
    # the streaming turn detector's defaults, not the older fixed 0.5 / 3.0 s
    assert session.options.endpointing["min_delay"] == 0.3
    assert session.options.endpointing["max_delay"] == 2.5
