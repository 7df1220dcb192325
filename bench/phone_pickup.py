"""What recognizing a phone caller adds before the greeting: p50/p95 of `welcome_caller`
(caller ID lookup and open orders summary) on the demo store, as a call does it.

Usage: python bench/phone_pickup.py [--pg-admin-url postgresql://postgres@127.0.0.1/postgres]
                                    [--samples 200]

SQLite in a temporary folder; with --pg-admin-url also PostgreSQL, in a database of its own
(created, seeded, dropped). "cold" opens a new store for each call, as every call's store opens
on first use; "warm" reuses one open store. Known callers are the showcase customers, unknown
numbers are not in the store.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # allow `python bench/phone_pickup.py` from anywhere
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402  (after the path fix above)

from agent.telephony.caller import CallerInfo  # noqa: E402
from agent.telephony.greeting import welcome_caller  # noqa: E402
from tools.reconnecting_store import ReconnectingStore  # noqa: E402
from tools.showcase import SHOWCASE_CUSTOMERS  # noqa: E402
from tools.store import OrderStore  # noqa: E402
from tools.stores import open_store  # noqa: E402
from tools.support import CallerVerification, SupportDesk  # noqa: E402

UNKNOWN = "+12125550199"
PG_DATABASE = "acme_phone_bench"


async def pickup(store: OrderStore, number: str) -> bool:
    """One caller recognition; returns whether the caller was recognized."""
    welcome = await welcome_caller(
        desk=SupportDesk(store=store),
        verification=CallerVerification(),
        caller=CallerInfo(identity="sip_bench", phone_number=number, call_id="SCL_bench"),
        instructions="Support instructions.",
        greeting="Greeting.",
    )
    return welcome.recognized


async def timed(samples: int, once: Callable[[int], Awaitable[bool]]) -> tuple[float, float]:
    times = []
    for i in range(samples):
        started = time.perf_counter()
        await once(i)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


async def measure(url: str, samples: int, *, numbers: list[str]) -> dict[str, tuple[float, float]]:
    """(p50, p95) in ms for cold and warm recognitions of callers cycling through `numbers`."""

    async def cold(i: int) -> bool:
        store = ReconnectingStore(opener=lambda: open_store(url, seed=False, pool_size=1))
        try:
            return await pickup(store, numbers[i % len(numbers)])
        finally:
            await store.close()

    warm_store = await open_store(url, seed=False)

    async def warm(i: int) -> bool:
        return await pickup(warm_store, numbers[i % len(numbers)])

    try:
        return {"cold": await timed(samples, cold), "warm": await timed(samples, warm)}
    finally:
        await warm_store.close()


async def run(url: str, samples: int) -> None:
    seeded = await open_store(url, seed=True)
    try:
        known = [c.phone for c in SHOWCASE_CUSTOMERS.values()]
        assert all([await pickup(seeded, n) for n in known]) and not await pickup(seeded, UNKNOWN)
    finally:
        await seeded.close()
    for label, numbers in (("known", known), ("unknown", [UNKNOWN])):
        for name, (p50, p95) in (await measure(url, samples, numbers=numbers)).items():
            print(f"{label:8} {name}  p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  ({samples} calls)")


@contextlib.asynccontextmanager
async def own_database(admin_url: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL database for the run, dropped afterwards; yields its URL."""
    admin = await asyncpg.connect(admin_url, timeout=5)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {PG_DATABASE}")
        yield admin_url.rsplit("/", 1)[0] + "/" + PG_DATABASE
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        await admin.close()


async def run_all(pg_admin_url: str, samples: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite")
        await run(f"sqlite:///{tmp}/acme.db", samples)
    if pg_admin_url:
        async with own_database(pg_admin_url) as url:
            print("PostgreSQL")
            await run(url, samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-admin-url", default="")
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(run_all(args.pg_admin_url, args.samples))


if __name__ == "__main__":
    main()
