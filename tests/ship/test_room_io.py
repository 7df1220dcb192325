"""Playground text chat and live transcriptions rely on the framework's room I/O defaults.

The entrypoint starts the session in the room without room options, so these defaults are what
a browser caller gets: if a framework upgrade changes them, set them explicitly in agent/call.py.
"""

from __future__ import annotations

import pytest
from livekit.agents.voice.room_io import RoomOptions

pytestmark = pytest.mark.unit


def test_text_chat_from_the_room_reaches_the_agent() -> None:
    assert RoomOptions().get_text_input_options() is not None


def test_transcriptions_are_published_to_the_room() -> None:
    options = RoomOptions().get_text_output_options()
    assert options is not None
    assert options.sync_transcription is not False  # words appear as they are spoken


def test_audio_in_and_out_are_on_and_video_off() -> None:
    options = RoomOptions()
    assert options.get_audio_input_options() is not None
    assert options.get_audio_output_options() is not None
    assert options.get_video_input_options() is None
