"""Room audio for a call: link the session to the caller, with background voice cancellation
for phone callers when enabled (LiveKit Cloud only; the plugin is imported only then)."""

from __future__ import annotations

import importlib
import logging

from livekit import rtc
from livekit.agents import room_io

logger = logging.getLogger("acme.telephony")

NOISE_CANCELLATION_PLUGIN = "livekit.plugins.noise_cancellation"


def caller_room_options(
    participant: rtc.Participant, *, noise_cancellation: bool
) -> room_io.RoomOptions:
    """Room options linked to `participant`; SIP callers get BVCTelephony if asked for."""
    options = room_io.RoomOptions(participant_identity=participant.identity)
    is_phone = participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_SIP
    if is_phone and noise_cancellation and (bvc := telephony_noise_cancellation()) is not None:
        options.audio_input = room_io.AudioInputOptions(noise_cancellation=bvc)
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
