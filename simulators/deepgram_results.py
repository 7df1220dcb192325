"""Deepgram live messages as the service writes them: `Results` and the closing `Metadata`."""

from __future__ import annotations

import time
from typing import Any

CONFIDENCE = 0.98
MODEL_INFO = {"name": "general-nova-3", "version": "2025-01-01.0", "arch": "nova-3"}


def words(transcript: str, start_s: float, end_s: float) -> list[dict[str, Any]]:
    tokens = transcript.split()
    step = (end_s - start_s) / len(tokens) if tokens else 0.0
    return [
        {
            "word": tok.strip(".,!?;:").lower() or tok,
            "punctuated_word": tok,
            "start": round(start_s + i * step, 3),
            "end": round(start_s + (i + 1) * step, 3),
            "confidence": CONFIDENCE,
        }
        for i, tok in enumerate(tokens)
    ]


def results(
    transcript: str,
    start_s: float,
    end_s: float,
    *,
    request_id: str,
    is_final: bool,
    speech_final: bool,
    from_finalize: bool = False,
) -> dict[str, Any]:
    alternative = {
        "transcript": transcript,
        "confidence": CONFIDENCE if transcript else 0.0,
        "words": words(transcript, start_s, end_s),
    }
    return {
        "type": "Results",
        "channel_index": [0, 1],
        "duration": round(end_s - start_s, 3),
        "start": round(start_s, 3),
        "is_final": is_final,
        "speech_final": speech_final,
        "from_finalize": from_finalize,
        "channel": {"alternatives": [alternative]},
        "metadata": {
            "request_id": request_id,
            "model_info": MODEL_INFO,
            "model_uuid": "00000000-0000-0000-0000-000000000003",
        },
    }


def metadata(
    *, request_id: str, created: float, duration_s: float, channels: int
) -> dict[str, Any]:
    return {
        "type": "Metadata",
        "transaction_key": "deprecated",
        "request_id": request_id,
        "sha256": "0" * 64,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(created)),
        "duration": round(duration_s, 3),
        "channels": channels,
        "models": [MODEL_INFO["name"]],
        "model_info": {MODEL_INFO["name"]: MODEL_INFO},
    }
