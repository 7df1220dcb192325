"""Fault arming, filtering by kind, and counting."""

from __future__ import annotations

import pytest

from simulators import Faults
from simulators.faults import HANDSHAKE_FAULTS, STREAM_FAULTS

pytestmark = pytest.mark.unit


def test_faults_fire_in_order_and_are_counted() -> None:
    faults = Faults()
    faults.inject("tts", "malformed")
    faults.inject("tts", "http_500", times=2)
    assert faults.pending("tts") == 3 and faults.pending("llm") == 0
    assert faults.take("tts", HANDSHAKE_FAULTS) == "http_500"
    assert faults.take("tts", STREAM_FAULTS) == "malformed"
    assert faults.take("tts", STREAM_FAULTS) is None
    assert faults.take("tts") == "http_500"
    assert faults.take("tts") is None
    assert faults.fired("tts", "http_500") == 2
    assert faults.fired("tts") == 3 and faults.fired(kind="malformed") == 1
    assert faults.fired("llm") == 0
    faults.clear()
    assert faults.fired() == 0


def test_invalid_faults_are_rejected() -> None:
    faults = Faults()
    with pytest.raises(ValueError, match="unknown fault"):
        faults.inject("db", "http_500")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown fault"):
        faults.inject("llm", "explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="times"):
        faults.inject("llm", "stall", times=0)
