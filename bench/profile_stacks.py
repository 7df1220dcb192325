"""Sorts py-spy's raw (collapsed) stacks of a call into what the CPU was spent on.

Each stack is charged to the innermost frame that names a known part of a call (walking from
the leaf towards the root), so the VAD's ONNX call counts as VAD, a log call from our handler
as logging, and the caller simulation's frames as the harness, whoever called them.
"""

from __future__ import annotations

import re
from collections import Counter

_FRAME_FILE = re.compile(r"\((?P<file>[^():]+)(?::\d+)?\)$")

CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("logging", ("/logging/",)),
    ("resampling", ("audio_resampler",)),
    ("silero VAD", ("/plugins/silero/",)),
    ("turn detector", ("/inference/eot/", "/turn_detector/")),
    ("caller simulation (harness)", ("/harness/",)),
    ("our code", ("/agent/", "/tools/")),
    ("audio output/sync", ("/voice/transcription/", "/voice/io.py", "/utils/audio.py")),
    ("deepgram STT", ("/plugins/deepgram/",)),
    ("cartesia TTS", ("/plugins/cartesia/",)),
    ("openai LLM", ("/plugins/openai/", "/openai/")),
    ("framework voice", ("/livekit/agents/voice/",)),
    ("framework other", ("/livekit/agents/",)),
    ("rtc", ("/livekit/rtc/",)),
    ("aiohttp/websockets", ("/aiohttp/", "/yarl/", "/multidict/")),
    ("asyncio", ("/asyncio/",)),
)


def category_of(frames: list[str]) -> str:
    """The category of one stack (frames root first, as py-spy writes them)."""
    for frame in reversed(frames):
        found = _FRAME_FILE.search(frame)
        if found is None:
            continue
        path = "/" + found["file"].lstrip("/")
        for name, needles in CATEGORIES:
            if any(needle in path for needle in needles):
                return name
    return "other"


def categorize(raw: str) -> Counter[str]:
    """Samples per category from py-spy's `--format raw` output."""
    counts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        counts[category_of(stack.split(";"))] += int(count)
    return counts
