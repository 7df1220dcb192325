"""Provider fallbacks: a call switches to a second STT, LLM, TTS or Realtime model, not silence.

Each `with_*_fallback` returns the primary unchanged when no fallback is configured for the mode,
else the framework's fallback adapter over primary then backup, tuned for a phone line: a primary
that errors or stays silent past its timeout is abandoned at once, and probed in the background
so it serves again once it answers (STT from the next call on: a call keeps one stream).
Switches and recoveries are logged on `acme.providers` with static messages and structured
fields; each backup's key is watched like the primaries' (agent/provider_log.py).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Literal, Protocol

from livekit.agents import APIConnectOptions, llm, stt, tts, vad
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, NotGivenOr
from livekit.agents.voice.agent_session import SessionConnectOptions
from livekit.plugins import openai

from agent.provider_log import KeyReports, watch_api_key
from agent.settings import Settings

logger = logging.getLogger("acme.providers")

Stage = Literal["stt", "llm", "tts", "realtime"]

# After the whole chain failed, the framework tries it once more, shortly.
_CHAIN_RETRIES = 1
_CHAIN_RETRY_INTERVAL_S = 0.5
# No retry on the primary before switching: every retry is dead air in the caller's ear. For STT
# it is also the only way a stalled Deepgram ever gives up: the framework restarts the retry
# budget after any attempt that lasted longer than the connect timeout, a stalled connect too.
_RETRIES_BEFORE_SWITCH = 0


def fallback_enabled(settings: Settings, stage: Stage) -> bool:
    """Whether `stage` has a fallback configured that the current mode uses."""
    fb, mode = settings.fallback, settings.agent.mode
    match stage:
        case "stt":
            return mode == "pipeline" and fb.stt == "openai"
        case "llm":
            return mode == "pipeline" and bool(fb.llm_model)
        case "tts":
            return mode in ("pipeline", "realtime_text") and fb.tts == "openai"
        case "realtime":
            return mode in ("realtime", "realtime_text") and bool(fb.realtime_model)


def _chain_options(timeout: float) -> APIConnectOptions:
    return APIConnectOptions(
        max_retry=_CHAIN_RETRIES, retry_interval=_CHAIN_RETRY_INTERVAL_S, timeout=timeout
    )


def session_conn_options(settings: Settings) -> SessionConnectOptions:
    """Per-stage connect options: the fallback timeouts where a fallback exists.

    Speech gets `tts_timeout` even alone: Cartesia ends a failed context with `done`, which
    the 1.8.9 plugin takes for the end of a sentence still being streamed and then waits its
    whole attempt timeout (10 s by default) in silence before retrying.
    """
    fb = settings.fallback

    def pick(stage: Stage, timeout: float) -> APIConnectOptions:
        return (
            _chain_options(timeout)
            if fallback_enabled(settings, stage)
            else DEFAULT_API_CONNECT_OPTIONS
        )

    tts_alone = replace(DEFAULT_API_CONNECT_OPTIONS, timeout=fb.tts_timeout)
    return SessionConnectOptions(
        stt_conn_options=pick("stt", fb.stt_timeout),
        llm_conn_options=pick("llm", fb.llm_timeout),
        tts_conn_options=_chain_options(fb.tts_timeout)
        if fallback_enabled(settings, "tts")
        else tts_alone,
    )


def realtime_conn_options(settings: Settings) -> APIConnectOptions:
    """A Realtime model with a fallback reconnects once, then hands the call over."""
    if fallback_enabled(settings, "realtime"):
        return _chain_options(settings.fallback.realtime_timeout)
    return DEFAULT_API_CONNECT_OPTIONS


def with_stt_fallback(
    primary: stt.STT[Any],
    settings: Settings,
    *,
    vad_model: vad.VAD | None,
    reports: KeyReports | None = None,
) -> stt.STT[Any]:
    """Deepgram, then OpenAI transcription of each VAD-detected utterance."""
    if not fallback_enabled(settings, "stt"):
        return primary
    if vad_model is None:
        logger.warning("stt fallback needs a VAD; running without it")
        return primary
    fb = settings.fallback
    backup = openai.STT(
        model=fb.stt_model,
        language=settings.stt.language.split("-")[0].lower(),
        api_key=settings.secrets.openai_api_key,
        base_url=_given(settings.openai.base_url),
    )
    _watch(backup, "OPENAI_API_KEY", reports)
    adapter = stt.FallbackAdapter(
        [primary, backup],
        vad=vad_model,
        attempt_timeout=fb.stt_timeout,
        max_retry_per_stt=_RETRIES_BEFORE_SWITCH,
    )
    adapter.on("stt_availability_changed", _log_availability("stt"))
    return adapter


def with_llm_fallback(
    primary: llm.LLM[Any], settings: Settings, *, reports: KeyReports | None = None
) -> llm.LLM[Any]:
    """The primary chat model, then a second model (same endpoint, or its own)."""
    if not fallback_enabled(settings, "llm"):
        return primary
    fb = settings.fallback
    key = settings.secrets.fallback_llm_api_key if fb.llm_base_url else ""
    backup = openai.LLM(
        model=fb.llm_model,
        api_key=key or settings.secrets.openai_api_key,
        base_url=_given(fb.llm_base_url or settings.llm_base_url),
        temperature=settings.llm.temperature,
    )
    _watch(backup, "ACME_FALLBACK_LLM_API_KEY" if key else "OPENAI_API_KEY", reports)
    # A reply that already started is not restarted on the backup: the caller heard its start.
    adapter = llm.FallbackAdapter(
        [primary, backup],
        attempt_timeout=fb.llm_timeout,
        max_retry_per_llm=_RETRIES_BEFORE_SWITCH,
        retry_on_chunk_sent=False,
    )
    adapter.on("llm_availability_changed", _log_availability("llm"))
    return adapter


def with_tts_fallback(
    primary: tts.TTS[Any], settings: Settings, *, reports: KeyReports | None = None
) -> tts.TTS[Any]:
    """Cartesia, then OpenAI speech (raw PCM: nothing to decode)."""
    if not fallback_enabled(settings, "tts"):
        return primary
    fb = settings.fallback
    backup = openai.TTS(
        model=fb.tts_model,
        voice=fb.tts_voice,
        api_key=settings.secrets.openai_api_key,
        base_url=_given(settings.openai.base_url),
        response_format="pcm",
    )
    _watch(backup, "OPENAI_API_KEY", reports)
    # The per-attempt timeout is the session's tts_conn_options (session_conn_options).
    adapter = tts.FallbackAdapter([primary, backup], max_retry_per_tts=_RETRIES_BEFORE_SWITCH)
    adapter.on("tts_availability_changed", _log_availability("tts"))
    return adapter


class RealtimeBuilder(Protocol):
    """Builds one Realtime model of the configured mode for a model name and endpoint."""

    def __call__(
        self, *, model: str, base_url: str, conn_options: APIConnectOptions
    ) -> llm.RealtimeModel: ...


def realtime_chain(settings: Settings, *, build: RealtimeBuilder) -> llm.RealtimeModel:
    """The Realtime model, then a second one; the conversation so far is replayed to it."""
    primary = build(
        model=settings.realtime.model,
        base_url=settings.openai.base_url,
        conn_options=realtime_conn_options(settings),
    )
    if not fallback_enabled(settings, "realtime"):
        return primary
    fb = settings.fallback
    backup = build(
        model=fb.realtime_model,
        base_url=fb.realtime_base_url or settings.openai.base_url,
        conn_options=realtime_conn_options(settings),
    )
    adapter = llm.RealtimeModelFallbackAdapter([primary, backup])
    adapter.on("realtime_availability_changed", _log_availability("realtime"))
    return adapter


def _log_availability(stage: Stage) -> Any:
    def on_change(ev: Any) -> None:
        instance = getattr(ev, "realtime_model" if stage == "realtime" else stage)
        fields = {"stage": stage, "provider": instance.label, "model": instance.model}
        if ev.available:
            logger.info("provider recovered", extra=fields)
        else:
            logger.warning("provider failed, using fallback", extra=fields)

    return on_change


def _watch(instance: Any, variable: str, reports: KeyReports | None) -> None:
    if reports is not None:
        watch_api_key(instance, variable, reports)


def _given(value: str) -> NotGivenOr[str]:
    return value if value else NOT_GIVEN
