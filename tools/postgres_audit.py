"""PostgreSQL tables and statements of the security audit trail."""

from __future__ import annotations

import asyncpg

from tools.audit import (
    INDEXES,
    AttemptLimit,
    Disclosure,
    RecordedAttempt,
    VerificationAttempt,
    decide,
    utc,
)

# Serializes verification decisions across every worker: count, decide and insert as one step.
VERIFICATION_LOCK_KEY = 0x41434D56  # "ACMV"

SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS verification_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL,
    call_id text NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('success', 'failed', 'locked', 'rejected')),
    method text NOT NULL,
    customer_id integer,
    order_id text,
    calling_number text
);
CREATE TABLE IF NOT EXISTS disclosures (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL,
    call_id text NOT NULL,
    order_id text,
    customer_id integer NOT NULL,
    fields text NOT NULL,
    method text NOT NULL
);
"""
    + INDEXES
)
_LOCK = "SELECT pg_advisory_xact_lock($1)"
_FAILURES = """
SELECT greatest(
    (SELECT count(*) FROM verification_events
     WHERE outcome = 'failed' AND customer_id = $1 AND at > $3),
    (SELECT count(*) FROM verification_events
     WHERE outcome = 'failed' AND calling_number = $2 AND at > $3))
"""
_INSERT_ATTEMPT = """
INSERT INTO verification_events
    (at, call_id, outcome, method, customer_id, order_id, calling_number)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
_INSERT_DISCLOSURE = """
INSERT INTO disclosures (at, call_id, order_id, customer_id, fields, method)
VALUES ($1, $2, $3, $4, $5, $6)
"""


async def record_verification(
    conn: asyncpg.Connection, attempt: VerificationAttempt, limit: AttemptLimit
) -> RecordedAttempt:
    """Count the failures in the window and record the attempt in one transaction, under an
    advisory lock every worker takes, so concurrent failures are all counted."""
    at = utc(attempt.at)
    async with conn.transaction():
        await conn.execute(_LOCK, VERIFICATION_LOCK_KEY)
        failures: int = await conn.fetchval(
            _FAILURES, attempt.customer_id, attempt.calling_number, at - limit.window
        )
        outcome = decide(attempt.outcome, failures, limit)
        await conn.execute(
            _INSERT_ATTEMPT, at, attempt.call_id, outcome, attempt.method, attempt.customer_id,
            attempt.order_id, attempt.calling_number,
        )  # fmt: skip
    return RecordedAttempt(outcome=outcome, failures=failures + (outcome == "failed"))


async def record_disclosure(conn: asyncpg.Connection, disclosure: Disclosure) -> None:
    await conn.execute(
        _INSERT_DISCLOSURE, utc(disclosure.at), disclosure.call_id, disclosure.order_id,
        disclosure.customer_id, ",".join(disclosure.fields), disclosure.method,
    )  # fmt: skip
