"""The one place that turns settings into models: realtime, pipeline or realtime_text."""

from __future__ import annotations

from functools import partial
from typing import Any, Literal, TypeVar

from livekit.agents import (
    AgentSession,
    APIConnectOptions,
    TurnHandlingOptions,
    inference,
    llm,
    stt,
    tts,
    vad,
)
from livekit.agents.types import NOT_GIVEN, NotGivenOr
from livekit.agents.voice.turn import EndpointingOptions
from livekit.plugins import cartesia, deepgram, openai, silero
from openai.types.realtime.realtime_audio_input_turn_detection import SemanticVad, ServerVad

from agent.acme_agent import CallState
from agent.behaviors.provider_errors import apologize_for_lost_turns
from agent.fallbacks import (
    realtime_chain,
    realtime_conn_options,
    session_conn_options,
    with_llm_fallback,
    with_stt_fallback,
    with_tts_fallback,
)
from agent.pause_finalize import PauseFinalizer, PauseWatchingVAD
from agent.provider_log import KeyReports, log_provider_errors, watch_api_key
from agent.settings import Settings, VadConfig
from agent.speech_chunks import PhraseTokenizer

PHONE_KEYWORD_BOOST = 2.0
_T = TypeVar("_T", stt.STT[Any], llm.LLM[Any], tts.TTS[Any])


def load_vad(config: VadConfig) -> vad.VAD:
    """Silero VAD, loaded once per process (prewarm)."""
    return silero.VAD.load(
        activation_threshold=config.activation_threshold,
        min_speech_duration=config.min_speech_duration,
        min_silence_duration=config.min_silence_duration,
        prefix_padding_duration=config.prefix_padding_duration,
    )


def pause_finalizer(settings: Settings) -> PauseFinalizer | None:
    """One per call when the pipeline finalizes the transcript at pauses (stt.finalize_after_s)."""
    after_s = settings.stt.finalize_after_s
    if not after_s or settings.agent.mode != "pipeline":
        return None
    return PauseFinalizer(after_s=after_s)


def build_session(
    settings: Settings,
    *,
    vad_model: vad.VAD | None,
    userdata: CallState,
    phone: bool = False,
    finalizer: PauseFinalizer | None = None,
) -> AgentSession[CallState]:
    """Build the AgentSession for the configured mode, with its turn handling.

    `phone`: the caller is on a phone line (SIP), so speech recognition uses [telephony].
    In the realtime modes only the Realtime server ends the caller's turns (and barges in):
    turn detection is `realtime_llm`, so the local VAD just times the caller's speech (for
    latency figures). Left to choose, the framework would also commit each turn locally from
    the VAD, and in 1.8.9 that late local commit cancels a reply still waiting on its tool,
    leaving the call silent.
    """
    components: dict[str, Any]
    reports = KeyReports()
    match settings.agent.mode:
        case "realtime":
            components = {
                "llm": realtime_chain(
                    settings, build=partial(build_realtime, settings, modalities=["audio"])
                )
            }
        case "realtime_text":
            components = {
                "llm": realtime_chain(
                    settings, build=partial(build_realtime, settings, modalities=["text"])
                ),
                "tts": with_tts_fallback(
                    _watched(build_tts(settings), "CARTESIA_API_KEY", reports),
                    settings,
                    reports=reports,
                ),
            }
        case "pipeline":
            components = {
                "stt": with_stt_fallback(
                    _watched(build_stt(settings, phone=phone), "DEEPGRAM_API_KEY", reports),
                    settings,
                    vad_model=vad_model,
                    reports=reports,
                ),
                "llm": with_llm_fallback(
                    _watched(build_llm(settings), "OPENAI_API_KEY", reports),
                    settings,
                    reports=reports,
                ),
                "tts": with_tts_fallback(
                    _watched(build_tts(settings), "CARTESIA_API_KEY", reports),
                    settings,
                    reports=reports,
                ),
            }
    turn_handling = build_turn_handling(settings)
    if settings.agent.mode != "pipeline":
        turn_handling["turn_detection"] = "realtime_llm"
    if finalizer is not None and vad_model is not None:
        vad_model = PauseWatchingVAD(vad_model, finalizer)
    session = AgentSession[CallState](
        **components,
        vad=vad_model,
        turn_handling=turn_handling,
        max_tool_steps=settings.agent.max_tool_steps,
        userdata=userdata,
        conn_options=session_conn_options(settings),
    )
    log_provider_errors(session, reports)
    apologize_for_lost_turns(session)
    return session


def build_turn_handling(settings: Settings) -> TurnHandlingOptions:
    th = settings.turn_handling
    endpointing: EndpointingOptions = {}
    if th.min_endpointing_delay is not None:
        endpointing["min_delay"] = th.min_endpointing_delay
    if th.max_endpointing_delay is not None:
        endpointing["max_delay"] = th.max_endpointing_delay
    options = TurnHandlingOptions(
        endpointing=endpointing,
        interruption={"enabled": th.interruptions, "min_duration": th.min_interruption_duration},
        preemptive_generation={
            "enabled": th.preemptive_generation,
            "preemptive_tts": th.preemptive_tts,
        },
    )
    if th.turn_detector == "vad":
        options["turn_detection"] = "vad"
    elif th.unlikely_threshold is not None:
        options["turn_detection"] = inference.TurnDetector(unlikely_threshold=th.unlikely_threshold)
    return options


def build_realtime(
    settings: Settings,
    *,
    modalities: list[Literal["text", "audio"]],
    model: str | None = None,
    base_url: str | None = None,
    conn_options: APIConnectOptions | None = None,
) -> llm.RealtimeModel:
    """One Realtime model: the configured one, or another model / endpoint (a fallback)."""
    rt = settings.realtime
    td = rt.turn_detection
    detection: ServerVad | SemanticVad
    if td.type == "server_vad":
        detection = ServerVad(
            type="server_vad",
            threshold=td.threshold,
            prefix_padding_ms=td.prefix_padding_ms,
            silence_duration_ms=td.silence_duration_ms,
            create_response=True,
            interrupt_response=True,
        )
    else:
        detection = SemanticVad(
            type="semantic_vad",
            eagerness=td.eagerness,
            create_response=True,
            interrupt_response=True,
        )
    return openai.realtime.RealtimeModel(
        model=model or rt.model,
        voice=rt.voice,
        modalities=modalities,
        turn_detection=detection,
        api_key=settings.secrets.openai_api_key,
        base_url=_given(settings.openai.base_url if base_url is None else base_url),
        conn_options=conn_options or realtime_conn_options(settings),
    )


def build_llm(settings: Settings) -> llm.LLM[Any]:
    return openai.LLM(
        model=settings.llm.model,
        api_key=settings.secrets.openai_api_key,
        base_url=_given(settings.llm_base_url),
        temperature=settings.llm.temperature,
    )


def build_stt(settings: Settings, *, phone: bool = False) -> stt.STT[Any]:
    """Deepgram; a phone caller gets [telephony]'s model at the phone line's sample rate."""
    cfg = settings.stt
    model = settings.telephony.stt_model if phone else cfg.model
    options = _endpoint(cfg.base_url)
    if phone:
        options["sample_rate"] = settings.telephony.stt_sample_rate
    if cfg.keyterms and model.startswith("nova-3"):
        options["keyterm"] = list(cfg.keyterms)
    elif cfg.keyterms and phone:  # phone models before Nova-3 take boosted keywords instead
        options["keywords"] = [(term, PHONE_KEYWORD_BOOST) for term in cfg.keyterms]
    recognizer = deepgram.STT(
        model=model,
        language=cfg.language,
        endpointing_ms=cfg.endpointing_ms,
        api_key=settings.secrets.deepgram_api_key,
        **options,
    )
    if cfg.finalize_on_silence or cfg.finalize_after_s:
        # The plugin sends Deepgram's Finalize when the session flushes its stream; the session
        # flushes (at the VAD's end of speech, or at a pause: agent/pause_finalize.py) only a
        # recognizer that declares it can.
        recognizer.capabilities.manual_flush = True
    return recognizer


def build_tts(settings: Settings) -> tts.TTS[Any]:
    cfg = settings.tts
    options = _endpoint(cfg.base_url)
    if cfg.text_chunks == "phrase":
        options["tokenizer"] = PhraseTokenizer()
    return cartesia.TTS(
        model=cfg.model,
        voice=cfg.voice,
        api_key=settings.secrets.cartesia_api_key,
        **options,
    )


def _watched(instance: _T, variable: str, reports: KeyReports) -> _T:
    watch_api_key(instance, variable, reports)
    return instance


def _endpoint(base_url: str) -> dict[str, Any]:
    """The plugin's base_url option, only when one is configured (else the provider's own)."""
    return {"base_url": base_url} if base_url else {}


def _given(value: str) -> NotGivenOr[str]:
    return value if value else NOT_GIVEN
