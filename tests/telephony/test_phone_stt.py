"""Phone callers get the telephony speech recognition settings; browser callers keep theirs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from livekit.plugins import deepgram

from agent.acme_agent import CallState
from agent.session_factory import build_session
from agent.settings import Settings, load_settings
from tools.stores import open_store
from tools.support import SupportDesk

pytestmark = pytest.mark.unit

KEYS = {"OPENAI_API_KEY": "sk-o", "DEEPGRAM_API_KEY": "dg", "CARTESIA_API_KEY": "ca"}


def settings(**env: str) -> Settings:
    return load_settings(environ={**KEYS, "ACME_MODE": "pipeline", **env})


@pytest.fixture
async def state(tmp_path: Path) -> AsyncIterator[CallState]:
    store = await open_store(f"sqlite:///{tmp_path}/s.db", seed=False)
    yield CallState(desk=SupportDesk(store=store))
    await store.close()


def deepgram_options(s: Settings, state: CallState, *, phone: bool) -> deepgram.stt.STTOptions:
    session = build_session(s, vad_model=None, userdata=state, phone=phone)
    assert isinstance(session.stt, deepgram.STT)
    return session.stt._opts


async def test_phone_caller_gets_the_phone_model_at_8_khz(state: CallState) -> None:
    s = settings()
    opts = deepgram_options(s, state, phone=True)
    assert opts.model == s.telephony.stt_model == "nova-2-phonecall"
    assert opts.sample_rate == 8000
    assert s.stt.keyterms and opts.keywords == [(k, 2.0) for k in s.stt.keyterms]
    assert opts.language == s.stt.language


async def test_browser_caller_keeps_the_general_model(state: CallState) -> None:
    s = settings()
    opts = deepgram_options(s, state, phone=False)
    assert opts.model == s.stt.model == "nova-3"
    assert opts.sample_rate == 16000
    assert opts.keyterm == list(s.stt.keyterms)


async def test_nova_3_on_the_phone_keeps_its_key_terms(state: CallState) -> None:
    opts = deepgram_options(settings(ACME_PHONE_STT_MODEL="nova-3"), state, phone=True)
    assert (opts.model, opts.sample_rate) == ("nova-3", 8000)
    assert opts.keyterm == list(settings().stt.keyterms)
