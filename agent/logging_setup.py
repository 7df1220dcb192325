"""Keep customer data out of the worker's logs: the framework's PII-marked fields are redacted.

The framework logs are structured (JSON in `start`, coloured in `dev`/`console`) and carry
`room`, `call_id` and `mode` on every line of a call; that needs nothing from us. At DEBUG,
though, some of its lines carry what the caller said or a tool's arguments in fields marked as
PII (`lk.pii.<name>`). Conversations belong in the transcript files, not in logs, so every
handler of the worker redacts those fields, whatever the level.
"""

from __future__ import annotations

import logging

from livekit.agents.telemetry.pii import is_pii_attribute

REDACTED = "[redacted]"


class RedactCustomerData(logging.Filter):
    """Replaces the value of every PII-marked field of a record; the field name stays."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key in [k for k in vars(record) if is_pii_attribute(k)]:
            setattr(record, key, REDACTED)
        return True


_REDACT = RedactCustomerData()


def redact_customer_data_in_logs() -> None:
    """Add the redaction to every handler of the root logger (idempotent).

    Call it once the CLI has set up logging (the worker's `worker_started` event): job processes
    send their records to the worker process, so its handlers see every line.
    """
    for handler in logging.getLogger().handlers:
        if _REDACT not in handler.filters:
            handler.addFilter(_REDACT)
