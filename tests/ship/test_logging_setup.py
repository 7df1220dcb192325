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


def test_secrets_are_masked_on_every_line(
    json_stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "configured-openai-key-1234")
    redact_customer_data_in_logs()
    log = logging.getLogger("acme.store")
    log.warning("cannot reach %s", "postgresql://acme:S3cret@db:5432/acme")
    log.warning("store failed", extra={"url": "postgresql://acme:S3cret@db/acme", "n": 3})
    log.warning("provider answered 401 for key %s", "configured-openai-key-1234")
    try:
        raise ConnectionError("could not connect to mysql://acme:S3cret@db/acme")
    except ConnectionError:
        log.exception("connect failed")
    got = lines(json_stream)
    text = json_stream.getvalue()
    assert "S3cret" not in text and "configured-openai-key-1234" not in text
    assert got[0]["message"] == "cannot reach postgresql://acme:***@db:5432/acme"
    assert (got[1]["url"], got[1]["n"]) == ("postgresql://acme:***@db/acme", 3)
    assert got[2]["message"] == "provider answered 401 for key ***"
    assert "ConnectionError: could not connect to mysql://acme:***@db/acme" in str(got[3])
