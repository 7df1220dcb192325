"""Phone callers get the telephony speech recognition settings; browser callers keep theirs, as
they reach Deepgram (the simulator records the live connection's parameters)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from livekit import rtc
from livekit.agents import utils

from agent.acme_agent import CallState
from agent.session_factory import build_session
from agent.settings import Settings, load_settings
from simulators import Latency, ProviderSimulator
from tools.stores import open_store
from tools.support import SupportDesk

pytestmark = pytest.mark.integration

KEYS = {"OPENAI_API_KEY": "sk-o", "DEEPGRAM_API_KEY": "dg", "CARTESIA_API_KEY": "ca"}


@pytest.fixture
async def sim() -> AsyncIterator[ProviderSimulator]:
    async with ProviderSimulator(latency=Latency.instant()) as simulator:
        async with utils.http_context.open():
            yield simulator


def settings(sim: ProviderSimulator, **env: str) -> Settings:
    env = {**KEYS, "ACME_MODE": "pipeline", "ACME_DEEPGRAM_BASE_URL": sim.base_url, **env}
    return load_settings(environ=env)


@pytest.fixture
async def state(tmp_path: Path) -> AsyncIterator[CallState]:
    store = await open_store(f"sqlite:///{tmp_path}/s.db", seed=False)
    yield CallState(desk=SupportDesk(store=store))
    await store.close()


async def deepgram_params(
    sim: ProviderSimulator, s: Settings, state: CallState, *, phone: bool
) -> dict[str, list[str]]:
    """The parameters the session's STT opens its Deepgram connection with."""
    session = build_session(s, vad_model=None, userdata=state, phone=phone)
    assert session.stt is not None
    stream = session.stt.stream()
    stream.push_frame(rtc.AudioFrame(b"\x00\x00" * 800, 8000, 1, 800))
    for _ in range(500):
        if sim.received.stt_streams:
            break
        await asyncio.sleep(0.02)
    await stream.aclose()
    params: dict[str, list[str]] = {}
    for key, value in sim.received.stt_streams[0].params:
        params.setdefault(key, []).append(value)
    return params


async def test_phone_caller_gets_the_phone_model_at_8_khz(
    sim: ProviderSimulator, state: CallState
) -> None:
    s = settings(sim)
    params = await deepgram_params(sim, s, state, phone=True)
    assert params["model"] == [s.telephony.stt_model] == ["nova-2-phonecall"]
    assert params["sample_rate"] == ["8000"]
    assert s.stt.keyterms and params["keywords"] == [f"{k}:2.0" for k in s.stt.keyterms]
    assert params["language"] == [s.stt.language]


async def test_browser_caller_keeps_the_general_model(
    sim: ProviderSimulator, state: CallState
) -> None:
    s = settings(sim)
    params = await deepgram_params(sim, s, state, phone=False)
    assert params["model"] == [s.stt.model] == ["nova-3"]
    assert params["sample_rate"] == ["16000"]
    assert params["keyterm"] == list(s.stt.keyterms)


async def test_nova_3_on_the_phone_keeps_its_key_terms(
    sim: ProviderSimulator, state: CallState
) -> None:
    s = settings(sim, ACME_PHONE_STT_MODEL="nova-3")
    params = await deepgram_params(sim, s, state, phone=True)
    assert (params["model"], params["sample_rate"]) == (["nova-3"], ["8000"])
    assert params["keyterm"] == list(s.stt.keyterms)
