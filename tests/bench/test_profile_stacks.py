"""py-spy's raw stacks sorted into what a call spends its CPU on."""

from __future__ import annotations

import pytest

from bench.profile_stacks import WAITING, categorize, category_of

pytestmark = pytest.mark.unit

VAD = (
    "_worker (concurrent/futures/thread.py:83);run (concurrent/futures/thread.py:58);"
    "__call__ (silero/onnx_model.py:101);"
    "run (onnxruntime/capi/onnxruntime_inference_collection.py:395)"
)
OUR_LOG = (
    "_run (asyncio/events.py:80);_on_item (agent/behaviors/transcripts.py:70);"
    "info (logging/__init__.py:1489)"
)
HARNESS = "_run (asyncio/events.py:80);__anext__ (harness/audio_io.py:110)"


def test_a_stack_counts_for_its_innermost_known_part() -> None:
    assert category_of(VAD.split(";")) == "silero VAD"
    assert category_of(OUR_LOG.split(";")) == "logging"
    assert category_of(HARNESS.split(";")) == "caller simulation (harness)"
    assert category_of(["<module> (somewhere.py:1)"]) == "other"
    assert category_of(VAD.split(";")[:1]) == WAITING  # a pool thread waiting for work


def test_samples_are_summed_per_part_and_malformed_lines_skipped() -> None:
    raw = f"{VAD} 7\n{HARNESS} 2\n{VAD} 1\nnot a stack line\n"
    assert categorize(raw) == {"silero VAD": 8, "caller simulation (harness)": 2}
