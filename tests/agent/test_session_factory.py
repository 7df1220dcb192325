"""build_session wires each mode's real plugins from settings: what they send to the providers
(the simulators), and the turn handling the session runs with."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from livekit import rtc
from livekit.agents import AgentSession, llm, utils

from agent.acme_agent import CallState
from agent.session_factory import build_session
from agent.settings import Settings, load_settings
from simulators import Latency, ProviderSimulator
from tools.stores import open_store
from tools.support import SupportDesk

pytestmark = pytest.mark.integration

KEYS = {"OPENAI_API_KEY": "sk-o", "DEEPGRAM_API_KEY": "dg", "CARTESIA_API_KEY": "ca"}
TIMEOUT_S = 10


@pytest.fixture
async def sim() -> AsyncIterator[ProviderSimulator]:
    async with ProviderSimulator(latency=Latency.instant()) as simulator:
        async with utils.http_context.open():
            yield simulator


def settings_for(tmp_path: Path, sim: ProviderSimulator, **env: str) -> Settings:
    """Every provider at the simulator's root URL, the shape the providers document."""
    path = tmp_path / "settings.toml"
    path.write_text(
        "[realtime.turn_detection]\n"
        "type = 'server_vad'\nthreshold = 0.7\nprefix_padding_ms = 200\nsilence_duration_ms = 650\n"
        "[turn_handling]\nmin_endpointing_delay = 0.3\nmax_endpointing_delay = 2.0\n"
        "interruptions = false\npreemptive_generation = false\n"
        "[stt]\nkeyterms = ['Acme', 'RMA']\n"
    )
    root = sim.base_url
    urls = {
        "ACME_OPENAI_BASE_URL": root,
        "ACME_DEEPGRAM_BASE_URL": root,
        "ACME_CARTESIA_BASE_URL": root,
    }
    return load_settings(config_path=path, environ={**KEYS, **urls, **env})


@pytest.fixture
async def state(tmp_path: Path) -> AsyncIterator[CallState]:
    store = await open_store(f"sqlite:///{tmp_path}/s.db", seed=False)
    yield CallState(desk=SupportDesk(store=store))
    await store.close()


async def eventually(check: Any) -> None:
    for _ in range(int(TIMEOUT_S / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("nothing arrived at the simulator")


async def test_pipeline_mode_reaches_each_provider_as_configured(
    tmp_path: Path, sim: ProviderSimulator, state: CallState
) -> None:
    s = settings_for(tmp_path, sim, ACME_MODE="pipeline", ACME_TTS_VOICE="voice-123")
    session = build_session(s, vad_model=None, userdata=state)
    assert session.stt and session.llm and session.tts

    stream = session.stt.stream()
    stream.push_frame(rtc.AudioFrame(b"\x00\x00" * 1600, 16000, 1, 1600))
    await eventually(lambda: sim.received.stt_streams)
    await stream.aclose()
    query = sim.received.stt_streams[0].query
    assert (query["model"], query["language"], query["sample_rate"]) == ("nova-3", "en-US", "16000")
    keyterms = [v for k, v in sim.received.stt_streams[0].params if k == "keyterm"]
    assert keyterms == ["Acme", "RMA"]

    assert isinstance(session.llm, llm.LLM)
    ctx = llm.ChatContext()
    ctx.add_message(role="user", content="Hello")
    async with session.llm.chat(chat_ctx=ctx) as reply:
        async for _ in reply:
            pass
    [request] = sim.received.llm_requests
    assert (request["model"], request["temperature"]) == (s.llm.model, 0.4)

    async for _ in session.tts.synthesize("Hello there."):
        pass
    [spoken] = sim.received.tts_requests
    assert (spoken.model, spoken.voice, spoken.text) == ("sonic-3", "voice-123", "Hello there.")
    assert session.userdata is state
    _assert_turn_handling(session)


async def realtime_config(sim: ProviderSimulator, session: AgentSession[CallState]) -> Any:
    """The Realtime session configuration the model sent, once it has sent it."""
    model = session.llm
    assert isinstance(model, llm.RealtimeModel)
    rt = model.session()
    await eventually(lambda: any(e["type"] == "session.update" for e in _events(sim)))
    await rt.aclose()
    return sim.received.realtime_sessions[0]


def _events(sim: ProviderSimulator) -> list[dict[str, Any]]:
    return [e for s in sim.received.realtime_sessions for e in s.events]


async def test_realtime_mode_configures_the_server_turn_detection(
    tmp_path: Path, sim: ProviderSimulator, state: CallState
) -> None:
    s = settings_for(tmp_path, sim, ACME_MODE="realtime")
    session = build_session(s, vad_model=None, userdata=state)
    assert session.stt is None and session.tts is None
    record = await realtime_config(sim, session)
    assert record.query["model"] == s.realtime.model
    config = record.session
    assert config["output_modalities"] == ["audio"]
    assert config["audio"]["output"]["voice"] == s.realtime.voice
    td = config["audio"]["input"]["turn_detection"]
    assert (td["type"], td["threshold"], td["prefix_padding_ms"], td["silence_duration_ms"]) == (
        "server_vad",
        0.7,
        200,
        650,
    )
    assert td["create_response"] and td["interrupt_response"]
    assert session.turn_detection == "realtime_llm"  # only the server ends turns


async def test_realtime_semantic_vad(
    tmp_path: Path, sim: ProviderSimulator, state: CallState
) -> None:
    path = tmp_path / "semantic.toml"
    path.write_text("[realtime.turn_detection]\ntype = 'semantic_vad'\neagerness = 'high'\n")
    env = {**KEYS, "ACME_MODE": "realtime", "ACME_OPENAI_BASE_URL": sim.openai_base_url}
    s = load_settings(config_path=path, environ=env)
    record = await realtime_config(sim, build_session(s, vad_model=None, userdata=state))
    td = record.session["audio"]["input"]["turn_detection"]
    assert (td["type"], td["eagerness"]) == ("semantic_vad", "high")


async def test_realtime_text_mode_speaks_with_cartesia(
    tmp_path: Path, sim: ProviderSimulator, state: CallState
) -> None:
    s = settings_for(tmp_path, sim, ACME_MODE="realtime_text")
    session = build_session(s, vad_model=None, userdata=state)
    assert session.stt is None and session.tts is not None
    record = await realtime_config(sim, session)
    assert record.session["output_modalities"] == ["text"]


def _assert_turn_handling(session: AgentSession[CallState]) -> None:
    opts = session.options
    assert opts.endpointing["min_delay"] == 0.3
    assert opts.endpointing["max_delay"] == 2.0
    assert opts.interruption["enabled"] is False
    assert opts.preemptive_generation["enabled"] is False


def test_default_turn_handling_is_the_measured_one(state: CallState) -> None:
    """BENCHMARKS.md "Turn-taking levers": the reply is prepared early (the LLM) and played
    after as much silence as the LiveKit default agent waits; a held turn waits 1.5 s."""
    s = load_settings(environ=KEYS)
    session = build_session(s, vad_model=None, userdata=state)
    assert session.options.endpointing["min_delay"] == 0.55
    assert session.options.endpointing["max_delay"] == 1.5
    assert session.options.preemptive_generation["enabled"] is True
    # preemptive TTS gained nothing measurable and kept a failed Cartesia from recovering
    assert session.options.preemptive_generation["preemptive_tts"] is False
