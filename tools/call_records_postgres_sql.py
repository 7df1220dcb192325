"""PostgreSQL schema and statements for call records (kept apart from the order store's schema)."""

from __future__ import annotations

# Serializes schema creation when several workers start at once ("ACMF", next to "ACME").
SCHEMA_LOCK_KEY = 0x41434D46
LOCK = "SELECT pg_advisory_xact_lock($1)"

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    call_id text PRIMARY KEY,
    started_at timestamptz NOT NULL,
    ended_at timestamptz,
    mode text NOT NULL,
    caller_kind text NOT NULL,
    sip_call_id text,
    room text,
    outcome text,
    end_reason text,
    turns integer,
    slowest_turn_s double precision,
    summary jsonb,
    purged_at timestamptz
);
CREATE INDEX IF NOT EXISTS idx_calls_started ON calls (started_at DESC);
CREATE TABLE IF NOT EXISTS call_entries (
    call_id text NOT NULL,
    seq integer NOT NULL,
    kind text NOT NULL CHECK (kind IN ('message', 'tool_call')),
    spoken_at timestamptz NOT NULL,
    role text,
    text text,
    tool_name text,
    arguments text,
    output text,
    is_error boolean,
    interrupted boolean,
    metrics jsonb,
    PRIMARY KEY (call_id, seq)
);
CREATE INDEX IF NOT EXISTS idx_call_entries_spoken ON call_entries (call_id, spoken_at, seq);
CREATE TABLE IF NOT EXISTS call_orders (
    call_id text NOT NULL,
    order_id text NOT NULL,
    PRIMARY KEY (call_id, order_id)
);
CREATE INDEX IF NOT EXISTS idx_call_orders_order ON call_orders (order_id);
CREATE TABLE IF NOT EXISTS call_events (
    call_id text NOT NULL,
    seq integer NOT NULL,
    at timestamptz NOT NULL,
    kind text NOT NULL,
    detail text NOT NULL,
    tool_name text,
    PRIMARY KEY (call_id, seq)
);
"""

INSERT_CALL = """
INSERT INTO calls (call_id, started_at, mode, caller_kind, sip_call_id, room)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (call_id) DO NOTHING
"""
IS_PURGED = "SELECT EXISTS (SELECT 1 FROM calls WHERE call_id = $1 AND purged_at IS NOT NULL)"
INSERT_ENTRY = """
INSERT INTO call_entries (call_id, seq, kind, spoken_at, role, text, tool_name, arguments,
                          output, is_error, interrupted, metrics)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (call_id, seq) DO NOTHING
"""
INSERT_ORDER = "INSERT INTO call_orders VALUES ($1, $2) ON CONFLICT DO NOTHING"
INSERT_EVENT = """
INSERT INTO call_events (call_id, seq, at, kind, detail, tool_name)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (call_id, seq) DO NOTHING
"""
END_CALL = """
UPDATE calls SET ended_at = $2, outcome = $3, end_reason = $4, turns = $5, slowest_turn_s = $6,
                 summary = $7
WHERE call_id = $1
"""

_LISTING = """
c.call_id, c.started_at, c.ended_at, c.mode, c.caller_kind, c.sip_call_id, c.outcome,
c.end_reason, c.turns, c.slowest_turn_s, c.purged_at,
(SELECT string_agg(o.order_id, ' ' ORDER BY o.order_id) FROM call_orders o
 WHERE o.call_id = c.call_id),
(SELECT count(*) FROM call_events e WHERE e.call_id = c.call_id AND e.kind = 'reply_guard')
"""
LIST_CALLS = f"""
SELECT {_LISTING} FROM calls c WHERE {{conditions}}
ORDER BY c.started_at DESC, c.call_id LIMIT {{limit}} OFFSET {{offset}}
"""
GET_CALL = f"SELECT {_LISTING}, c.summary FROM calls c WHERE c.call_id = $1"
ENTRIES = """
SELECT seq, kind, spoken_at, role, text, tool_name, arguments, output, is_error, interrupted,
       metrics
FROM call_entries WHERE call_id = $1 ORDER BY spoken_at, seq
"""
EVENTS = """
SELECT seq, at, kind, detail, tool_name FROM call_events WHERE call_id = $1 ORDER BY at, seq
"""
TABLE_EXISTS = "SELECT to_regclass($1) IS NOT NULL"
AUDIT_ROWS = "SELECT * FROM {table} WHERE call_id = $1"
TO_PURGE = "SELECT call_id FROM calls WHERE started_at < $1 AND purged_at IS NULL"
PURGE_ENTRIES = "DELETE FROM call_entries WHERE call_id = ANY($1::text[])"
MARK_PURGED = "UPDATE calls SET purged_at = $1 WHERE call_id = ANY($2::text[])"
