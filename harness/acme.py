"""Our agent as a harness starter: its own settings loader and call wiring, pointed at simulators.

Imported only when used, so a baseline run in the same harness never loads our code.
"""

from __future__ import annotations

import asyncio

from livekit.agents import vad

from agent.bootstrap import prepare_store
from agent.call import Call, build_call
from agent.session_factory import load_vad
from agent.settings import Settings, VadConfig, load_settings
from harness.call_setup import CallSetup
from harness.paused_speech import VAD_SILENCE_LAG_S, stt_split_s

SIMULATED_KEY = "simulated"

_vads: dict[VadConfig, vad.VAD] = {}
_vad_lock = asyncio.Lock()


def acme_environ(setup: CallSetup) -> dict[str, str]:
    """The environment a deployment would set to reach these endpoints, plus `setup.environ`."""
    urls = setup.urls
    return {
        "ACME_MODE": setup.mode,
        "ACME_OPENAI_BASE_URL": urls.openai,
        "ACME_LLM_BASE_URL": urls.openai,
        "ACME_DEEPGRAM_BASE_URL": urls.deepgram,
        "ACME_CARTESIA_BASE_URL": urls.cartesia,
        "OPENAI_API_KEY": SIMULATED_KEY,
        "DEEPGRAM_API_KEY": SIMULATED_KEY,
        "CARTESIA_API_KEY": SIMULATED_KEY,
        "ACME_STORE_URL": f"sqlite:///{setup.workdir / 'acme.db'}",
        "ACME_TRANSCRIPT_DIR": str(setup.workdir / "transcripts"),
        **setup.environ,
    }


async def shared_vad(settings: Settings) -> vad.VAD:
    """One Silero VAD per process and configuration, as the worker's prewarm keeps one."""
    async with _vad_lock:
        model = _vads.get(settings.vad)
        if model is None:
            model = await asyncio.to_thread(load_vad, settings.vad)
            _vads[settings.vad] = model
        return model


async def prepare_acme(setup: CallSetup) -> Call:
    """Settings from the environment, a prepared store, and the call wired as the worker does."""
    settings = load_settings(environ=acme_environ(setup))
    await asyncio.to_thread(prepare_store, settings)
    return build_call(settings, call_id=setup.call_id, vad_model=await shared_vad(settings))


def acme_stt_split_s(settings: Settings | None = None) -> float:
    """Silence after which the simulated STT ends an utterance on our agent's stream (by default
    settings): our agent finalizes it at a pause, or at the VAD's end of speech, when so
    configured."""
    if settings is None:
        settings = load_settings(environ={}, require_keys=False)
    finalize = settings.vad.min_silence_duration if settings.stt.finalize_on_silence else None
    if settings.stt.finalize_after_s:
        finalize = settings.stt.finalize_after_s + VAD_SILENCE_LAG_S
    return stt_split_s(endpointing_ms=settings.stt.endpointing_ms, finalize_after_s=finalize)
