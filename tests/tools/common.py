"""Constants shared by the tools tests: the seed reference day and a fixed clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

# Every store in these tests is seeded relative to this day, and desk clocks read NOW.
REFERENCE = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW
