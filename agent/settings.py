"""Settings: one validated, frozen object from config/settings.toml, the environment and .env."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agent.endpoints import cartesia_base_url, deepgram_base_url, openai_base_url
from agent.telephony.numbers import transfer_uri

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "config" / "settings.toml"
ENV_FILE_VAR = "ACME_ENV_FILE"  # another .env than the project's
LIVEKIT_COMMANDS = ("dev", "start", "connect")  # worker commands that reach a LiveKit server

Mode = Literal["realtime", "pipeline", "realtime_text"]


class ConfigError(Exception):
    """Bad configuration: the message is one line naming the field or environment variable."""


def _url_shape(check: Callable[[str], str], *fields: str) -> Any:
    """A validator putting a provider base URL in the shape its plugin wants (agent/endpoints)."""
    return field_validator(*fields)(classmethod(lambda cls, value: check(value)))


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AgentConfig(_Section):
    mode: Mode = "pipeline"
    name: str = ""
    prompt: str = Field(default="support", pattern=r"^[a-z0-9_-]+$")
    greeting: str = Field(default="greeting", pattern=r"^[a-z0-9_-]+$")
    max_tool_steps: int = Field(default=3, ge=1, le=10)
    reply_guard_s: float = Field(default=6.0, ge=1.0, le=60.0)  # silence before recovering
    tool_filler_s: float = Field(default=1.5, ge=0.2, le=10.0)  # tool time before a filler


class StoreConfig(_Section):
    url: str = Field(default="sqlite:///data/acme.db", pattern=r"^(sqlite:///|postgres(ql)?://)")
    pool_size: int = Field(default=4, ge=1, le=100)
    seed: bool = True


class TranscriptConfig(_Section):
    dir: Path = Path("data/transcripts")
    fsync: bool = False


class RecordsConfig(_Section):
    """Call records in the database (README "Call records")."""

    url: str = Field(default="", pattern=r"^((sqlite:///|postgres(ql)?://).*)?$")
    # empty: the order store's database
    retention_days: int = Field(default=90, ge=0, le=36500)  # 0 = keep forever
    ship_timeout: float = Field(default=10.0, gt=0.0, le=600.0)
    sweep_interval: float = Field(default=30.0, gt=0.0, le=3600.0)


class ReviewConfig(_Section):
    """The support team's review page (README "Reviewing calls")."""

    host: str = Field(default="127.0.0.1", min_length=1)
    port: int = Field(default=8090, ge=0, le=65535)


class TurnHandlingConfig(_Section):
    # None: the framework's default for the turn detector in use (0.3 / 2.5 s streaming).
    min_endpointing_delay: float | None = Field(default=0.55, ge=0.0, le=10.0)
    max_endpointing_delay: float | None = Field(default=1.5, ge=0.1, le=30.0)
    interruptions: bool = True
    min_interruption_duration: float = Field(default=0.5, ge=0.0, le=5.0)
    preemptive_generation: bool = True
    preemptive_tts: bool = False
    # "model": the local turn detector judges the caller's pauses; "vad": silence alone.
    turn_detector: Literal["model", "vad"] = "model"
    # None: the turn detector's own calibrated threshold for the caller's language.
    unlikely_threshold: float | None = Field(default=None, gt=0.0, lt=1.0)
    # A final transcript ending in "?" holds the turn at most this long (pipeline); None: off.
    question_max_delay: float | None = Field(default=None, ge=0.0, le=30.0)


class RealtimeTurnDetection(_Section):
    type: Literal["server_vad", "semantic_vad"] = "server_vad"
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    prefix_padding_ms: int = Field(default=300, ge=0, le=5000)
    silence_duration_ms: int = Field(default=500, ge=0, le=10000)
    eagerness: Literal["low", "medium", "high", "auto"] = "auto"


class RealtimeConfig(_Section):
    model: str = Field(default="gpt-realtime", min_length=1)
    voice: str = Field(default="marin", min_length=1)
    temperature: float = Field(default=0.8, ge=0.6, le=1.2)
    turn_detection: RealtimeTurnDetection = RealtimeTurnDetection()


class OpenAIConfig(_Section):
    base_url: str = ""

    _shape = _url_shape(openai_base_url, "base_url")


class SttConfig(_Section):
    model: str = Field(default="nova-3", min_length=1)
    language: str = Field(default="en-US", min_length=2)
    keyterms: tuple[str, ...] = ()
    base_url: str = ""
    endpointing_ms: int = Field(default=25, ge=0, le=10000)
    # Ask Deepgram to finalize as soon as the VAD hears the caller stop (its Finalize message).
    finalize_on_silence: bool = False
    # ...or already at a pause this long inside the caller's speech, the turn left open
    # (agent/pause_finalize.py); 0 = off. Shorter than vad.min_silence_duration.
    finalize_after_s: float = Field(default=0.0, ge=0.0, le=2.0)

    _shape = _url_shape(deepgram_base_url, "base_url")


class LlmConfig(_Section):
    model: str = Field(default="gpt-4.1-mini", min_length=1)
    base_url: str = ""
    temperature: float = Field(default=0.4, ge=0.0, le=2.0)

    _shape = _url_shape(openai_base_url, "base_url")


class TtsConfig(_Section):
    model: str = Field(default="sonic-3", min_length=1)
    voice: str = Field(default="f786b574-daa5-4673-aa0c-cbe3e8534c02", min_length=1)
    base_url: str = ""
    text_chunks: Literal["sentence", "phrase"] = "sentence"

    _shape = _url_shape(cartesia_base_url, "base_url")


class TelephonyConfig(_Section):
    """Phone calls through a SIP trunk (README "Phone calls")."""

    transfer_to: str = ""  # tel:/sip: URI or phone number for transfer_to_human; empty = none
    noise_cancellation: bool = False  # BVCTelephony for SIP callers; LiveKit Cloud only
    stt_model: str = Field(default="nova-2-phonecall", min_length=1)
    stt_sample_rate: Literal[8000, 16000] = 8000
    keypad_timeout: float = Field(default=5.0, gt=0.0, le=30.0)
    caller_lookup_timeout: float = Field(default=2.0, gt=0.0, le=10.0)
    # Off: caller ID identifies, it does not prove (SECURITY.md). On: a match verifies the caller.
    trust_caller_id: bool = False

    @field_validator("transfer_to")
    @classmethod
    def _transfer_uri(cls, value: str) -> str:
        return transfer_uri(value)


class SecurityConfig(_Section):
    """Verification and its limits (SECURITY.md)."""

    returns_need_verification: bool = True
    # Failed verifications, per customer and per calling number, that lock verification for
    # everyone until the oldest leaves the window.
    lockout_failures: int = Field(default=5, ge=1, le=100)
    lockout_window_hours: float = Field(default=24.0, gt=0.0, le=24.0 * 90)


class VadConfig(_Section):
    activation_threshold: float = Field(default=0.5, gt=0.0, lt=1.0)
    min_speech_duration: float = Field(default=0.05, ge=0.0, le=2.0)
    min_silence_duration: float = Field(default=0.55, ge=0.0, le=5.0)
    prefix_padding_duration: float = Field(default=0.5, ge=0.0, le=2.0)


class FallbackConfig(_Section):
    """Second providers a call switches to when the primary fails; empty = no fallback."""

    stt: Literal["", "openai"] = ""
    stt_model: str = Field(default="gpt-4o-mini-transcribe", min_length=1)
    llm_model: str = ""
    llm_base_url: str = ""
    tts: Literal["", "openai"] = ""
    tts_model: str = Field(default="gpt-4o-mini-tts", min_length=1)
    tts_voice: str = Field(default="ash", min_length=1)
    realtime_model: str = ""
    realtime_base_url: str = ""
    # Seconds a primary may stay silent (connect, first token, next audio) before the switch.
    stt_timeout: float = Field(default=2.0, gt=0.0, le=30.0)
    llm_timeout: float = Field(default=2.5, gt=0.0, le=30.0)
    tts_timeout: float = Field(default=2.0, gt=0.0, le=30.0)
    realtime_timeout: float = Field(default=3.0, gt=0.0, le=30.0)

    _shape = _url_shape(openai_base_url, "llm_base_url", "realtime_base_url")


class LiveKitConfig(_Section):
    url: str = Field(default="", pattern=r"^((wss?|https?)://\S+)?$")


class WorkerConfig(_Section):
    drain_timeout: int = Field(default=1800, ge=1, le=86400)
    health_port: int = Field(default=8081, ge=0, le=65535)
    prometheus_port: int = Field(default=0, ge=0, le=65535)


class Secrets(_Section):
    openai_api_key: str = ""
    deepgram_api_key: str = ""
    cartesia_api_key: str = ""
    livekit_api_key: str = ""
    livekit_api_secret: str = ""
    fallback_llm_api_key: str = ""
    review_token: str = ""

    def __repr__(self) -> str:
        return "Secrets(<redacted>)"

    __str__ = __repr__


class Settings(_Section):
    agent: AgentConfig = AgentConfig()
    store: StoreConfig = StoreConfig()
    transcripts: TranscriptConfig = TranscriptConfig()
    records: RecordsConfig = RecordsConfig()
    review: ReviewConfig = ReviewConfig()
    turn_handling: TurnHandlingConfig = TurnHandlingConfig()
    openai: OpenAIConfig = OpenAIConfig()
    realtime: RealtimeConfig = RealtimeConfig()
    stt: SttConfig = SttConfig()
    llm: LlmConfig = LlmConfig()
    tts: TtsConfig = TtsConfig()
    telephony: TelephonyConfig = TelephonyConfig()
    security: SecurityConfig = SecurityConfig()
    vad: VadConfig = VadConfig()
    fallback: FallbackConfig = FallbackConfig()
    livekit: LiveKitConfig = LiveKitConfig()
    worker: WorkerConfig = WorkerConfig()
    secrets: Secrets = Secrets()

    @property
    def llm_base_url(self) -> str:
        """The chat-completions endpoint: [llm] base_url, else the OpenAI one."""
        return self.llm.base_url or self.openai.base_url


# Environment variable -> (section, key). The table README's configuration section documents.
ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "ACME_MODE": ("agent", "mode"),
    "ACME_AGENT_NAME": ("agent", "name"),
    "LIVEKIT_AGENT_NAME": ("agent", "name"),  # the framework's own name for the same setting
    "ACME_PROMPT": ("agent", "prompt"),
    "ACME_REPLY_GUARD_S": ("agent", "reply_guard_s"),
    "ACME_TOOL_FILLER_S": ("agent", "tool_filler_s"),
    "ACME_STORE_URL": ("store", "url"),
    "ACME_STORE_POOL_SIZE": ("store", "pool_size"),
    "ACME_TRANSCRIPT_DIR": ("transcripts", "dir"),
    "ACME_TRANSCRIPT_FSYNC": ("transcripts", "fsync"),
    "ACME_REALTIME_MODEL": ("realtime", "model"),
    "ACME_REALTIME_VOICE": ("realtime", "voice"),
    "ACME_OPENAI_BASE_URL": ("openai", "base_url"),
    "ACME_STT_MODEL": ("stt", "model"),
    "ACME_STT_LANGUAGE": ("stt", "language"),
    "ACME_DEEPGRAM_BASE_URL": ("stt", "base_url"),
    "ACME_LLM_MODEL": ("llm", "model"),
    "ACME_LLM_BASE_URL": ("llm", "base_url"),
    "ACME_TTS_MODEL": ("tts", "model"),
    "ACME_TTS_VOICE": ("tts", "voice"),
    "ACME_CARTESIA_BASE_URL": ("tts", "base_url"),
    "ACME_FALLBACK_STT": ("fallback", "stt"),
    "ACME_FALLBACK_LLM_MODEL": ("fallback", "llm_model"),
    "ACME_FALLBACK_LLM_BASE_URL": ("fallback", "llm_base_url"),
    "ACME_FALLBACK_TTS": ("fallback", "tts"),
    "ACME_FALLBACK_REALTIME_MODEL": ("fallback", "realtime_model"),
    "ACME_FALLBACK_REALTIME_BASE_URL": ("fallback", "realtime_base_url"),
    "LIVEKIT_URL": ("livekit", "url"),
    "ACME_DRAIN_TIMEOUT": ("worker", "drain_timeout"),
    "ACME_HEALTH_PORT": ("worker", "health_port"),
    "ACME_PROMETHEUS_PORT": ("worker", "prometheus_port"),
    "ACME_TRANSFER_TO": ("telephony", "transfer_to"),
    "ACME_PHONE_NOISE_CANCELLATION": ("telephony", "noise_cancellation"),
    "ACME_PHONE_STT_MODEL": ("telephony", "stt_model"),
    "ACME_TRUST_CALLER_ID": ("telephony", "trust_caller_id"),
    "ACME_RECORDS_URL": ("records", "url"),
    "ACME_RECORD_RETENTION_DAYS": ("records", "retention_days"),
    "ACME_REVIEW_HOST": ("review", "host"),
    "ACME_REVIEW_PORT": ("review", "port"),
    "ACME_RETURNS_NEED_VERIFICATION": ("security", "returns_need_verification"),
    "ACME_LOCKOUT_FAILURES": ("security", "lockout_failures"),
    "ACME_LOCKOUT_WINDOW_HOURS": ("security", "lockout_window_hours"),
}

SECRET_VARS: dict[str, str] = {
    "OPENAI_API_KEY": "openai_api_key",
    "DEEPGRAM_API_KEY": "deepgram_api_key",
    "CARTESIA_API_KEY": "cartesia_api_key",
    "LIVEKIT_API_KEY": "livekit_api_key",
    "LIVEKIT_API_SECRET": "livekit_api_secret",
    "ACME_FALLBACK_LLM_API_KEY": "fallback_llm_api_key",
    "ACME_REVIEW_TOKEN": "review_token",
}

MIN_FINALIZE_AFTER_S = 0.15  # shorter, Deepgram would be asked to finalize between words

REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "realtime": ("OPENAI_API_KEY",),
    "pipeline": ("DEEPGRAM_API_KEY", "OPENAI_API_KEY", "CARTESIA_API_KEY"),
    "realtime_text": ("OPENAI_API_KEY", "CARTESIA_API_KEY"),
}


def load_settings(
    *,
    config_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    dotenv_path: Path | None = None,
    require_keys: bool = True,
    command: str = "",
) -> Settings:
    """Read the settings file, apply .env and environment overrides, validate, freeze.

    `command` is the worker command about to run: `dev`, `start` and `connect` also need the
    LiveKit server and its credentials. Raises ConfigError with a one-line message naming the
    field or variable at fault.
    """
    env = _environment(environ, dotenv_path)
    path = Path(env.get("ACME_CONFIG") or config_path or DEFAULT_CONFIG)
    data = _read_toml(path)
    origin: dict[tuple[str, ...], str] = {}
    for var, (section, key) in ENV_OVERRIDES.items():
        if var in env:
            section_data = data.setdefault(section, {})
            if not isinstance(section_data, dict):
                raise ConfigError(f"{path.name}: [{section}] must be a table")
            if (section, key) in origin and section_data[key] != env[var]:
                raise ConfigError(f"{origin[(section, key)]} and {var} disagree: set one of them")
            section_data[key] = env[var]
            origin[(section, key)] = var
    data["secrets"] = {field: env.get(var, "") for var, field in SECRET_VARS.items()}
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        described = _describe(exc, origin, path)
        raise ConfigError(mask_secrets(described, known=configured_secrets(env))) from None
    _check_pause_finalize(settings, path)
    if require_keys:
        missing = [v for v in REQUIRED_KEYS[settings.agent.mode] if not env.get(v, "").strip()]
        if missing:
            raise ConfigError(f"{missing[0]} is required for mode={settings.agent.mode}")
        for var, fallback in fallback_keys(settings):
            if not env.get(var, "").strip():
                raise ConfigError(f"{var} is required for the {fallback} fallback")
    if command in LIVEKIT_COMMANDS:
        for var in ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"):
            if not env.get(var, "").strip():
                raise ConfigError(f"{var} is required for {command}")
    return settings


def env_file(environ: Mapping[str, str] | None = None) -> Path:
    """The .env file: `ACME_ENV_FILE`, else the project's."""
    value = (os.environ if environ is None else environ).get(ENV_FILE_VAR, "")
    return Path(value) if value else ROOT / ".env"


def export_env_file() -> None:
    """Put the .env file's variables into the process environment (the real environment wins),
    so the framework reads them too: LIVEKIT_LOG_LEVEL, LIVEKIT_AGENT_NAME, LIVEKIT_URL, ..."""
    for key, value in dotenv_values(env_file()).items():
        if value is not None:
            os.environ.setdefault(key, value)


def fallback_keys(settings: Settings) -> list[tuple[str, str]]:
    """(variable, fallback) for each key a configured fallback of this mode needs."""
    fb, mode = settings.fallback, settings.agent.mode
    keys: list[tuple[str, str]] = []
    if mode == "pipeline" and fb.stt == "openai":
        keys.append(("OPENAI_API_KEY", "STT"))
    if mode == "pipeline" and fb.llm_model:
        # Another endpoint brings its own key; the primary's endpoint shares OpenAI's.
        var = "ACME_FALLBACK_LLM_API_KEY" if fb.llm_base_url else "OPENAI_API_KEY"
        keys.append((var, "LLM"))
    if mode in ("pipeline", "realtime_text") and fb.tts == "openai":
        keys.append(("OPENAI_API_KEY", "TTS"))
    if mode in ("realtime", "realtime_text") and fb.realtime_model:
        keys.append(("OPENAI_API_KEY", "realtime"))
    return keys


def _environment(environ: Mapping[str, str] | None, dotenv_path: Path | None) -> dict[str, str]:
    if environ is not None:
        return dict(environ)
    env = {k: v for k, v in dotenv_values(dotenv_path or env_file()).items() if v is not None}
    env.update(os.environ)  # the real environment wins over .env
    return env


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: invalid TOML: {exc}") from None


_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/:@'\"]*:)[^\s@'\"]+@")
_SECRET_PARAM = re.compile(
    r"(?i)([?&;](?:api[_-]?key|key|token|access[_-]?token|secret|password|passwd|pwd|sig)=)"
    r"[^\s&;'\"]+"
)
# Provider key shapes: OpenAI and Cartesia (sk-..., sk_car_...), LiveKit (API...), Deepgram
# (40 hex digits), bearer tokens.
_KEY_SHAPED = re.compile(
    r"\b(?:sk|pk|rk|sess)[-_][A-Za-z0-9_-]{8,}|\bAPI[A-Za-z0-9]{10,}\b|\b[0-9a-f]{40}\b"
    r"|(?i:\bbearer\s+)[A-Za-z0-9._~+/-]{8,}=*"
)
MASK = "***"


def mask_secrets(text: str, *, known: Iterable[str] = ()) -> str:
    """Hide what looks like a secret: URL passwords, key=... parameters, API-key-shaped tokens,
    and any of the `known` secret values (the configured keys)."""
    for secret in known:
        if len(secret) >= 4:
            text = text.replace(secret, MASK)
    text = _URL_PASSWORD.sub(rf"\g<1>{MASK}@", text)
    text = _SECRET_PARAM.sub(rf"\g<1>{MASK}", text)
    return _KEY_SHAPED.sub(MASK, text)


def configured_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """The provider keys and LiveKit secret set in the environment or .env, to mask in logs."""
    env = _environment(environ, None)
    return [value for var in SECRET_VARS if (value := env.get(var, "").strip())]


def _check_pause_finalize(settings: Settings, path: Path) -> None:
    after, silence = settings.stt.finalize_after_s, settings.vad.min_silence_duration
    if after and not MIN_FINALIZE_AFTER_S <= after < silence:
        raise ConfigError(
            f"{path.name}: stt.finalize_after_s must be 0 (off) or from {MIN_FINALIZE_AFTER_S} s"
            f" to under vad.min_silence_duration ({silence} s) (got {after})"
        )


def _describe(exc: ValidationError, origin: dict[tuple[str, ...], str], path: Path) -> str:
    err = exc.errors()[0]
    loc = tuple(str(part) for part in err["loc"])
    where = origin.get(loc[:2]) or f"{path.name}: {'.'.join(loc)}"
    given = err.get("input")
    shown = "" if isinstance(given, dict) else f" (got {given!r})"
    return f"{where}: {err['msg']}{shown}"
