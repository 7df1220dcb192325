"""`python -m agent.records.purge [--days N] [--dry-run]`: remove what callers said from calls
older than the retention (ACME_RECORD_RETENTION_DAYS), keeping each call's summary, order
numbers and security events; shipped spool files that old are deleted too."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agent.bootstrap import call_records, transcript_dir
from agent.records.sweeper import shipped_mark
from agent.settings import ConfigError, Settings, load_settings
from tools.errors import StoreUnavailable


def old_shipped_spools(directory: Path, before: datetime) -> list[Path]:
    """Spools already in the database and last written before `before`."""
    if not directory.is_dir():
        return []
    cutoff = before.timestamp()
    return [
        s
        for s in directory.glob("*.jsonl")
        if shipped_mark(s).exists() and s.stat().st_mtime < cutoff
    ]


async def purge(settings: Settings, *, days: int, dry_run: bool, now: datetime) -> tuple[int, int]:
    """(calls purged, spool files deleted)."""
    before = now - timedelta(days=days)
    store = call_records(settings)
    try:
        calls = await store.purge(before=before, now=now, dry_run=dry_run)
    finally:
        await store.close()
    spools = await asyncio.to_thread(old_shipped_spools, transcript_dir(settings), before)
    if not dry_run:
        for spool in spools:
            spool.unlink(missing_ok=True)
            shipped_mark(spool).unlink(missing_ok=True)
    return calls, len(spools)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/agent purge-records", description=__doc__)
    parser.add_argument("--days", type=int, help="retention in days (ACME_RECORD_RETENTION_DAYS)")
    parser.add_argument("--dry-run", action="store_true", help="count, remove nothing")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(require_keys=False)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    days = settings.records.retention_days if args.days is None else args.days
    if days <= 0:
        print("retention is off (0 days): nothing purged")
        return 0
    now = datetime.now(UTC)
    try:
        calls, spools = asyncio.run(purge(settings, days=days, dry_run=args.dry_run, now=now))
    except StoreUnavailable:
        print("purge failed: the call record database is unreachable", file=sys.stderr)
        return 1
    verb = "would purge" if args.dry_run else "purged"
    print(
        f"{verb} {calls} calls started before {(now - timedelta(days=days)):%Y-%m-%d %H:%M} UTC "
        f"(messages, tool arguments and results) and {spools} spool files; "
        "summaries, order numbers and security events kept"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
