"""Keep customer data out of the worker's logs: the framework's PII-marked fields are redacted.

The framework logs are structured (JSON in `start`, coloured in `dev`/`console`) and carry
`room`, `call_id` and `mode` on every line of a call; that needs nothing from us. At DEBUG,
though, some of its lines carry what the caller said or a tool's arguments in fields marked as
PII (`lk.pii.<name>`). Conversations belong in the transcript files, not in logs, so every
handler of the worker redacts those fields, whatever the level. Secrets are masked on every line
too: passwords in URLs, key=... parameters, provider-key shapes and the configured keys.
"""

from __future__ import annotations

import logging

from livekit.agents.telemetry.pii import is_pii_attribute

from agent.settings import configured_secrets, mask_secrets

REDACTED = "[redacted]"
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}


class RedactCustomerData(logging.Filter):
    """Replaces the value of every PII-marked field of a record; the field name stays.

    Then masks secrets in the message, the text fields and the exception text.
    """

    def __init__(self, known_secrets: list[str] | None = None) -> None:
        super().__init__()
        self.known_secrets = known_secrets or []

    def filter(self, record: logging.LogRecord) -> bool:
        for key in [k for k in vars(record) if is_pii_attribute(k)]:
            setattr(record, key, REDACTED)
        self._mask(record)
        return True

    def _mask(self, record: logging.LogRecord) -> None:
        def mask(text: str) -> str:
            return mask_secrets(text, known=self.known_secrets)

        message = record.getMessage()
        if (masked := mask(message)) != message:
            record.msg, record.args = masked, None
        for key, value in list(vars(record).items()):
            if isinstance(value, str) and key not in _STANDARD and (masked := mask(value)) != value:
                setattr(record, key, masked)
        if record.exc_info:
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None


_REDACT = RedactCustomerData()


def redact_customer_data_in_logs() -> None:
    """Add the redaction to every handler of the root logger (idempotent).

    Call it once the CLI has set up logging (the worker's `worker_started` event): job processes
    send their records to the worker process, so its handlers see every line.
    """
    _REDACT.known_secrets = configured_secrets()
    for handler in logging.getLogger().handlers:
        if _REDACT not in handler.filters:
            handler.addFilter(_REDACT)
