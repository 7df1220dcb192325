"""SQLite tables and statements of the security audit trail; run on the store's worker thread."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from tools.audit import (
    INDEXES,
    AttemptLimit,
    Disclosure,
    RecordedAttempt,
    VerificationAttempt,
    decide,
    utc,
)
from tools.sqlite_queries import transaction

SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS verification_events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    call_id TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failed', 'locked', 'rejected')),
    method TEXT NOT NULL,
    customer_id INTEGER,
    order_id TEXT,
    calling_number TEXT
);
CREATE TABLE IF NOT EXISTS disclosures (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    call_id TEXT NOT NULL,
    order_id TEXT,
    customer_id INTEGER NOT NULL,
    fields TEXT NOT NULL,
    method TEXT NOT NULL
);
"""
    + INDEXES
)
_FAILURES_OF_CUSTOMER = (
    "SELECT count(*) FROM verification_events "
    "WHERE outcome = 'failed' AND customer_id = ? AND at > ?"
)
_FAILURES_OF_NUMBER = (
    "SELECT count(*) FROM verification_events "
    "WHERE outcome = 'failed' AND calling_number = ? AND at > ?"
)
_INSERT_ATTEMPT = """
INSERT INTO verification_events
    (at, call_id, outcome, method, customer_id, order_id, calling_number)
VALUES (?, ?, ?, ?, ?, ?, ?)
"""
_INSERT_DISCLOSURE = """
INSERT INTO disclosures (at, call_id, order_id, customer_id, fields, method)
VALUES (?, ?, ?, ?, ?, ?)
"""


def stamp(moment: datetime) -> str:
    """UTC, fixed width, so text comparison is time order: 2026-03-10T17:00:00.000000+00:00."""
    return utc(moment).isoformat(timespec="microseconds")


def record_verification(
    conn: sqlite3.Connection, attempt: VerificationAttempt, limit: AttemptLimit
) -> RecordedAttempt:
    """Count the failures in the window and record the attempt in one write transaction.

    BEGIN IMMEDIATE takes the database's write lock first, so attempts from any number of
    connections or processes are decided one after another and every failure counts.
    """
    since = stamp(attempt.at - limit.window)
    with transaction(conn):
        failures = 0
        if attempt.customer_id is not None:
            row = conn.execute(_FAILURES_OF_CUSTOMER, (attempt.customer_id, since)).fetchone()
            failures = row[0]
        if attempt.calling_number is not None:
            row = conn.execute(_FAILURES_OF_NUMBER, (attempt.calling_number, since)).fetchone()
            failures = max(failures, row[0])
        outcome = decide(attempt.outcome, failures, limit)
        conn.execute(
            _INSERT_ATTEMPT,
            (stamp(attempt.at), attempt.call_id, outcome, attempt.method, attempt.customer_id,
             attempt.order_id, attempt.calling_number),
        )  # fmt: skip
    return RecordedAttempt(outcome=outcome, failures=failures + (outcome == "failed"))


def record_disclosure(conn: sqlite3.Connection, disclosure: Disclosure) -> None:
    conn.execute(
        _INSERT_DISCLOSURE,
        (stamp(disclosure.at), disclosure.call_id, disclosure.order_id, disclosure.customer_id,
         ",".join(disclosure.fields), disclosure.method),
    )  # fmt: skip
