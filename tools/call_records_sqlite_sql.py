"""SQLite schema and statements for call records (kept apart from the order store's schema)."""

from __future__ import annotations

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    call_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    mode TEXT NOT NULL,
    caller_kind TEXT NOT NULL,
    sip_call_id TEXT,
    room TEXT,
    outcome TEXT,
    end_reason TEXT,
    turns INTEGER,
    slowest_turn_s REAL,
    summary TEXT,
    purged_at TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_calls_started ON calls (started_at DESC);
CREATE TABLE IF NOT EXISTS call_entries (
    call_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('message', 'tool_call')),
    spoken_at TEXT NOT NULL,
    role TEXT,
    text TEXT,
    tool_name TEXT,
    arguments TEXT,
    output TEXT,
    is_error INTEGER,
    interrupted INTEGER,
    metrics TEXT,
    PRIMARY KEY (call_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_call_entries_spoken ON call_entries (call_id, spoken_at, seq);
CREATE TABLE IF NOT EXISTS call_orders (
    call_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    PRIMARY KEY (call_id, order_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_call_orders_order ON call_orders (order_id);
CREATE TABLE IF NOT EXISTS call_events (
    call_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    tool_name TEXT,
    PRIMARY KEY (call_id, seq)
) WITHOUT ROWID;
"""

INSERT_CALL = """
INSERT INTO calls (call_id, started_at, mode, caller_kind, sip_call_id, room)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (call_id) DO NOTHING
"""
IS_PURGED = "SELECT 1 FROM calls WHERE call_id = ? AND purged_at IS NOT NULL"
INSERT_ENTRY = """
INSERT INTO call_entries (call_id, seq, kind, spoken_at, role, text, tool_name, arguments,
                          output, is_error, interrupted, metrics)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (call_id, seq) DO NOTHING
"""
INSERT_ORDER = "INSERT INTO call_orders VALUES (?, ?) ON CONFLICT DO NOTHING"
INSERT_EVENT = """
INSERT INTO call_events (call_id, seq, at, kind, detail, tool_name)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (call_id, seq) DO NOTHING
"""
END_CALL = """
UPDATE calls SET ended_at = ?, outcome = ?, end_reason = ?, turns = ?, slowest_turn_s = ?,
                 summary = ?
WHERE call_id = ?
"""

_LISTING = """
c.call_id, c.started_at, c.ended_at, c.mode, c.caller_kind, c.sip_call_id, c.outcome,
c.end_reason, c.turns, c.slowest_turn_s, c.purged_at,
(SELECT group_concat(o.order_id, ' ') FROM call_orders o WHERE o.call_id = c.call_id),
(SELECT count(*) FROM call_events e WHERE e.call_id = c.call_id AND e.kind = 'reply_guard')
"""
LIST_CALLS = f"""
SELECT {_LISTING} FROM calls c WHERE {{conditions}}
ORDER BY c.started_at DESC, c.call_id LIMIT ? OFFSET ?
"""
GET_CALL = f"SELECT {_LISTING}, c.summary FROM calls c WHERE c.call_id = ?"
ENTRIES = """
SELECT seq, kind, spoken_at, role, text, tool_name, arguments, output, is_error, interrupted,
       metrics
FROM call_entries WHERE call_id = ? ORDER BY spoken_at, seq
"""
EVENTS = """
SELECT seq, at, kind, detail, tool_name FROM call_events WHERE call_id = ? ORDER BY at, seq
"""
TABLE_EXISTS = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
AUDIT_ROWS = "SELECT * FROM {table} WHERE call_id = ?"
TO_PURGE = "SELECT call_id FROM calls WHERE started_at < ? AND purged_at IS NULL"
PURGE_ENTRIES = "DELETE FROM call_entries WHERE call_id = ?"
MARK_PURGED = "UPDATE calls SET purged_at = ? WHERE call_id = ?"
