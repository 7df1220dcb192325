"""How a call ended, from what the framework reported and what the call's records show."""

from __future__ import annotations

import pytest

from agent.records.summary import PARENT_SHUTDOWN, call_outcome

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("close_reason", "shutdown_reason", "transferred", "outcome"),
    [
        ("participant_disconnected", "room disconnected", False, "hang-up"),
        ("user_initiated", "", False, "hang-up"),  # end_call, or a harness closing the call
        ("job_shutdown", PARENT_SHUTDOWN, False, "drain"),
        ("participant_disconnected", PARENT_SHUTDOWN, False, "hang-up"),  # left before the drain
        ("error", "", False, "error"),
        (None, "job crashed", False, "error"),
        ("participant_disconnected", "room disconnected", True, "transfer"),
    ],
)
def test_outcomes(
    close_reason: str | None, shutdown_reason: str, transferred: bool, outcome: str
) -> None:
    got, reason = call_outcome(
        close_reason=close_reason,
        close_error="RealtimeModelError" if close_reason == "error" else None,
        shutdown_reason=shutdown_reason,
        transferred=transferred,
    )
    assert got == outcome and reason
