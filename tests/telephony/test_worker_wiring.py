"""The worker's phone path: a phone call gets the phone session, agent, tools and room audio;
browser and console callers get the call they always had."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from livekit import rtc
from livekit.agents import JobContext, llm
from livekit.plugins import deepgram

from agent.call import Call, build_call
from agent.settings import Settings, load_settings
from agent.telephony.audio import NOISE_CANCELLATION_PLUGIN, caller_room_options
from agent.telephony.caller import sip_caller
from agent.telephony.phone_call import take_phone_call
from tests.telephony.livekit_fakes import remote_participant, sip_participant
from tools.stores import open_store

pytestmark = pytest.mark.unit

STANDARD = rtc.ParticipantKind.PARTICIPANT_KIND_STANDARD
BROWSER = remote_participant(identity="web-user", kind=STANDARD)


@pytest.fixture
async def settings(tmp_path: Path) -> Settings:
    url = f"sqlite:///{tmp_path}/acme.db"
    seeded = await open_store(url, seed=True)
    await seeded.close()
    return load_settings(
        environ={
            "ACME_MODE": "pipeline",
            "OPENAI_API_KEY": "sk",
            "DEEPGRAM_API_KEY": "dg",
            "CARTESIA_API_KEY": "ca",
            "ACME_STORE_URL": url,
            "ACME_TRANSCRIPT_DIR": str(tmp_path / "transcripts"),
            "ACME_TRANSFER_TO": "+15105550100",
        }
    )


@pytest.fixture
async def phone_call(settings: Settings) -> AsyncIterator[Call]:
    call = build_call(settings, call_id="call-test", vad_model=None, phone=True)
    yield call
    await call.aclose()


def tool_names(call: Call) -> set[str]:
    return set(llm.ToolContext(call.agent.tools).function_tools)


async def test_phone_call_gets_the_phone_agent(
    job: JobContext, phone_call: Call, settings: Settings
) -> None:
    caller = sip_caller(sip_participant())
    assert caller is not None
    job.log_context_fields = {"room": job.room.name}
    assert not tool_names(phone_call) & {"end_call", "transfer_to_human"}

    await take_phone_call(job, call=phone_call, caller=caller, settings=settings)

    assert {"end_call", "transfer_to_human", "lookup_order"} <= tool_names(phone_call)
    verification = phone_call.session.userdata.verification
    assert "Jordan" not in phone_call.agent._greeting  # caller ID identifies, it does not prove
    assert verification.customer_id is None and verification.known is not None
    assert (verification.call_id, verification.calling_number) == ("call-test", "+14155550142")
    assert verification.offer_transfer
    assert isinstance(phone_call.session.stt, deepgram.STT)
    assert phone_call.session.stt.model == settings.telephony.stt_model
    assert job.log_context_fields == {
        "room": job.room.name,
        "sip_call_id": "SCL_test1",
        "caller_id_present": True,
    }


async def test_browser_call_keeps_the_general_speech_model(settings: Settings) -> None:
    call = build_call(settings, call_id="call-web", vad_model=None)
    try:
        assert isinstance(call.session.stt, deepgram.STT)
        assert call.session.stt.model == settings.stt.model
        assert not tool_names(call) & {"end_call", "transfer_to_human"}
    finally:
        await call.aclose()


def test_room_options_link_the_caller() -> None:
    for participant in (sip_participant(), BROWSER):
        options = caller_room_options(participant, noise_cancellation=False)
        assert options.participant_identity == participant.identity
        assert options.get_audio_input_options().noise_cancellation is None


def test_browser_callers_never_get_phone_noise_cancellation() -> None:
    options = caller_room_options(BROWSER, noise_cancellation=True)
    assert options.get_audio_input_options().noise_cancellation is None


def test_phone_callers_get_bvc_telephony_when_enabled() -> None:
    plugin = pytest.importorskip(NOISE_CANCELLATION_PLUGIN)
    options = caller_room_options(sip_participant(), noise_cancellation=True)
    nc = options.get_audio_input_options().noise_cancellation
    assert isinstance(nc, rtc.NoiseCancellationOptions)
    assert nc == plugin.BVCTelephony()  # the telephony model, not BVC() for browsers
    assert nc != plugin.BVC()


def test_missing_plugin_is_logged_and_the_call_goes_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, NOISE_CANCELLATION_PLUGIN, None)  # import fails
    with caplog.at_level(logging.ERROR, logger="acme.telephony"):
        options = caller_room_options(sip_participant(), noise_cancellation=True)
    assert options.get_audio_input_options().noise_cancellation is None
    assert "not installed" in caplog.text
