"""Sorts py-spy's raw (collapsed) stacks of a call into what the CPU was spent on.

py-spy names files relative to their package root (`silero/vad.py`, `agents/voice/...`,
`harness/audio_io.py`); a stack's file names are matched with a leading `/` added.

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
    ("resampling", ("/audio_resampler.py",)),
    ("silero VAD", ("/silero/",)),
    ("turn detector", ("/inference/eot/", "/turn_detector/")),
    ("caller simulation (harness)", ("/harness/",)),
    ("our code", ("/agent/", "/tools/")),
    ("speaking rate (captions)", ("/transcription/_speaking_rate.py",)),
    ("audio output/sync", ("/voice/transcription/", "/voice/io.py", "/utils/audio.py")),
    ("deepgram STT", ("/deepgram/",)),
    ("cartesia TTS", ("/cartesia/",)),
    ("openai LLM", ("/openai/",)),
    ("framework voice", ("/agents/voice/",)),
    ("framework other", ("/agents/",)),
    ("rtc", ("/rtc/",)),
    ("aiohttp/websockets", ("/aiohttp/", "/yarl/", "/multidict/")),
    ("thread pool", ("/concurrent/futures/",)),
    ("asyncio", ("/asyncio/",)),
)


WAITING = "waiting (idle pool thread)"
"""A thread-pool worker blocked on its queue: sampled as active, but spends no CPU."""


def category_of(frames: list[str]) -> str:
    """The category of one stack (frames root first, as py-spy writes them)."""
    if frames and frames[-1].startswith("_worker (concurrent/futures/thread.py"):
        return WAITING
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
