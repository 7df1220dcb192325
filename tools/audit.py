"""The security audit trail: every verification attempt, and every time personal details are read.

Both live in the order store's database (tables `verification_events` and `disclosures`), so
failed attempts count across calls, workers and restarts, and a security team can answer "who
heard this customer's address, and on what proof?" with one query (README "Security").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

Outcome = Literal["success", "failed", "locked", "rejected"]
# Personal fields, as the disclosures table names them.
Field = Literal["name", "shipping_address", "email", "phone", "card_last4"]
ORDER_DETAIL_FIELDS: tuple[Field, ...] = ("shipping_address", "email", "phone", "card_last4")
# The same in SQLite and PostgreSQL: what limits count, and what a security team looks up.
INDEXES = """
CREATE INDEX IF NOT EXISTS idx_verification_customer_failures
    ON verification_events (customer_id, at) WHERE outcome = 'failed';
CREATE INDEX IF NOT EXISTS idx_verification_number_failures
    ON verification_events (calling_number, at) WHERE outcome = 'failed';
CREATE INDEX IF NOT EXISTS idx_verification_call ON verification_events (call_id);
CREATE INDEX IF NOT EXISTS idx_disclosures_customer ON disclosures (customer_id, at);
CREATE INDEX IF NOT EXISTS idx_disclosures_call ON disclosures (call_id);
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptLimit:
    """After `max_failures` failed verifications within `window` for one customer (or one
    calling number), verification for it is locked until the oldest failure leaves the window."""

    max_failures: int = 5
    window: timedelta = timedelta(hours=24)


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationAttempt:
    """One row of `verification_events`. `outcome` is what the answers earned: the store turns a
    success or failure into "locked" when the limit is already reached."""

    at: datetime
    call_id: str
    outcome: Outcome
    method: str  # the factors given, joined: "order+zip", "email+zip", "caller_id+zip"
    customer_id: int | None = None
    order_id: str | None = None
    calling_number: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedAttempt:
    outcome: Outcome
    failures: int  # in the window, this one included: the customer's or the number's, if higher


@dataclass(frozen=True, slots=True, kw_only=True)
class Disclosure:
    """One row of `disclosures`: personal fields read to a caller, and on what proof."""

    at: datetime
    call_id: str
    customer_id: int
    fields: tuple[Field, ...]
    method: str
    order_id: str | None = None


def decide(proposed: Outcome, failures: int, limit: AttemptLimit) -> Outcome:
    """The outcome to record, given the failures already in the window."""
    if proposed in ("success", "failed") and failures >= limit.max_failures:
        return "locked"
    return proposed


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
