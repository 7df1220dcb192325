"""Room audio for a call: link the session to the caller, at the rate the call's models use,
with background voice cancellation for phone callers when enabled (LiveKit Cloud only; the
plugin is imported only then)."""

from __future__ import annotations

import dataclasses
import importlib
import logging

from livekit import rtc
from livekit.agents import room_io

logger = logging.getLogger("acme.telephony")

NOISE_CANCELLATION_PLUGIN = "livekit.plugins.noise_cancellation"
PIPELINE_INPUT_RATE = 16000
"""Silero VAD and Deepgram both take 16 kHz: the room decodes the caller's audio straight to it,
so neither resamples every frame again (the room's default is 24 kHz, what Realtime takes)."""


def caller_audio_input(mode: str) -> room_io.AudioInputOptions:
    """How the room delivers the caller's audio to a call in `mode`."""
    if mode == "pipeline":
        return room_io.AudioInputOptions(sample_rate=PIPELINE_INPUT_RATE)
    return room_io.AudioInputOptions()


def caller_room_options(
    participant: rtc.Participant,
    *,
    noise_cancellation: bool,
    audio_input: room_io.AudioInputOptions | None = None,
) -> room_io.RoomOptions:
    """Room options linked to `participant`, with `audio_input` (the room's default if None);
    SIP callers get BVCTelephony if asked for."""
    options = room_io.RoomOptions(participant_identity=participant.identity)
    audio = dataclasses.replace(audio_input or room_io.AudioInputOptions())
    is_phone = participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_SIP
    if is_phone and noise_cancellation and (bvc := telephony_noise_cancellation()) is not None:
        audio.noise_cancellation = bvc
    options.audio_input = audio
    return options


def telephony_noise_cancellation() -> rtc.NoiseCancellationOptions | None:
    """LiveKit's BVCTelephony model, or None (logged) when its plugin is not installed.

    Imported only when enabled: its models take about 100 MB.
    """
    try:
        plugin = importlib.import_module(NOISE_CANCELLATION_PLUGIN)
    except ImportError:
        logger.error(
            "noise cancellation is on but its plugin is not installed",
            extra={"plugin": "livekit-plugins-noise-cancellation"},
        )
        return None
    options = plugin.BVCTelephony()
    if not isinstance(options, rtc.NoiseCancellationOptions):
        raise TypeError(f"BVCTelephony() gave {type(options).__name__}")
    return options
