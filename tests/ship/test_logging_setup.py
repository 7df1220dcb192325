"""Worker logs: JSON in `start` (the framework's formatter), PII-marked fields redacted."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from livekit.agents.cli.log import JsonFormatter

from agent.logging_setup import REDACTED, RedactCustomerData, redact_customer_data_in_logs

pytestmark = pytest.mark.unit


@pytest.fixture
def json_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        for h in root.handlers:  # pytest's own capture handlers got the filter too
            for f in [f for f in h.filters if isinstance(f, RedactCustomerData)]:
                h.removeFilter(f)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_pii_fields_are_redacted_and_the_rest_kept(json_stream: io.StringIO) -> None:
    redact_customer_data_in_logs()
    logging.getLogger("livekit.agents.test").warning(
        "conversation_item_added",
        extra={
            "role": "user",
            "lk.pii.text": "my email is jordan.rivera@example.com",
            "lk.pii.sip.phoneNumber": "+14155550142",
            "call_id": "room-job",
        },
    )
    (line,) = lines(json_stream)
    assert line["message"] == "conversation_item_added"
    assert line["lk.pii.text"] == REDACTED and line["lk.pii.sip.phoneNumber"] == REDACTED
    assert (line["role"], line["call_id"]) == ("user", "room-job")


def test_without_redaction_the_field_would_reach_the_log(json_stream: io.StringIO) -> None:
    logging.getLogger("livekit.agents.test").warning("x", extra={"lk.pii.text": "secret words"})
    assert lines(json_stream)[0]["lk.pii.text"] == "secret words"


def test_installing_twice_adds_one_filter(json_stream: io.StringIO) -> None:
    redact_customer_data_in_logs()
    redact_customer_data_in_logs()
    handler = logging.getLogger().handlers[-1]
    assert sum(isinstance(f, RedactCustomerData) for f in handler.filters) == 1
