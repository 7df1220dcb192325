"""Order lookup latency on SQLite and PostgreSQL with a million orders (p50/p99 of get_order).

Usage: python bench/lookup.py [--orders 1000000] [--samples 5000]

Builds the data once with the seed generator and caches it: the SQLite file under
bench/.cache/ and the PostgreSQL database ``acme_bench``. Timings are of warm lookups of
random existing order IDs through the real store classes, one at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # allow `python bench/lookup.py` from anywhere
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402  (after the path fix above)

from tools.errors import StoreUnavailable  # noqa: E402
from tools.postgres_store import PostgresOrderStore  # noqa: E402
from tools.seed import FIRST_ORDER_NUMBER, Dataset, generate_dataset  # noqa: E402
from tools.sqlite_store import SqliteOrderStore  # noqa: E402
from tools.store import OrderStore  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
REFERENCE = date(2026, 1, 15)  # fixed so the cache stays valid from day to day
PG_DATABASE = "acme_bench"
WARMUP = 1_000


@dataclass(slots=True, kw_only=True)
class Result:
    backend: str
    build_seconds: float | None  # None when the cache was reused
    p50_ms: float
    p99_ms: float
    samples: int


class Builder:
    """Generates the data set at most once, only if some backend needs it."""

    def __init__(self, *, orders: int) -> None:
        self.orders = orders
        self._dataset: Dataset | None = None

    def dataset(self) -> Dataset:
        if self._dataset is None:
            started = time.perf_counter()
            customers = min(max(240, self.orders // 20), 60_000)
            self._dataset = generate_dataset(
                customers=customers, orders=self.orders, reference=REFERENCE
            )
            print(f"generated {self.orders:,} orders in {time.perf_counter() - started:.1f} s")
        return self._dataset


def remove_sqlite_files(*paths: Path) -> None:
    for path in paths:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


async def sqlite_store(builder: Builder) -> tuple[OrderStore, float | None]:
    path = CACHE / f"lookup-{builder.orders}.db"
    if await asyncio.to_thread(path.exists):
        store = await SqliteOrderStore.open(path=path, seed=False)
        if await store.order_count() == builder.orders:
            return store, None
        await store.close()
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    await asyncio.to_thread(remove_sqlite_files, path, partial)
    building = await SqliteOrderStore.open(path=partial, seed=False)
    await building.load(await asyncio.to_thread(builder.dataset))
    await building.close()
    await asyncio.to_thread(partial.rename, path)
    store = await SqliteOrderStore.open(path=path, seed=False)
    return store, time.perf_counter() - started


async def postgres_store(builder: Builder, admin_url: str) -> tuple[OrderStore, float | None]:
    dsn = admin_url.rsplit("/", 1)[0] + "/" + PG_DATABASE
    admin = await asyncpg.connect(admin_url, timeout=5)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", PG_DATABASE)
        if exists:
            store = await PostgresOrderStore.open(dsn=dsn, seed=False)
            if await store.order_count() == builder.orders:
                return store, None
            await store.close()
        started = time.perf_counter()
        await admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {PG_DATABASE}")
    finally:
        await admin.close()
    store = await PostgresOrderStore.open(dsn=dsn, seed=False, command_timeout=600)
    await store.load(await asyncio.to_thread(builder.dataset))
    await store.close()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    store = await PostgresOrderStore.open(dsn=dsn, seed=False, max_size=2)
    return store, time.perf_counter() - started


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


async def measure(store: OrderStore, *, orders: int, samples: int) -> tuple[float, float]:
    rng = random.Random(1042)
    ids = [f"ACME-{FIRST_ORDER_NUMBER + rng.randrange(orders)}" for _ in range(WARMUP + samples)]
    timings: list[float] = []
    for n, order_id in enumerate(ids):
        started = time.perf_counter_ns()
        order = await store.get_order(order_id)
        elapsed = time.perf_counter_ns() - started
        if order is None or order.order_id != order_id:
            raise SystemExit(f"lookup of an existing order failed: {order_id}")
        if n >= WARMUP:
            timings.append(elapsed / 1e6)
    timings.sort()
    return percentile(timings, 0.50), percentile(timings, 0.99)


async def run(args: argparse.Namespace) -> list[Result]:
    builder = Builder(orders=args.orders)
    results = []
    for backend in ("sqlite", "postgres"):
        if backend == "sqlite":
            store, built = await sqlite_store(builder)
        else:
            store, built = await postgres_store(builder, args.pg_admin_url)
        try:
            p50, p99 = await measure(store, orders=args.orders, samples=args.samples)
        finally:
            await store.close()
        results.append(
            Result(backend=backend, build_seconds=built, p50_ms=p50, p99_ms=p99,
                   samples=args.samples)
        )  # fmt: skip
        how = "reused cache" if built is None else f"built in {built:.1f} s"
        print(
            f"{backend}: {args.orders:,} orders ({how}); {args.samples:,} warm lookups: "
            f"p50={p50:.3f} ms p99={p99:.3f} ms"
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=5_000)
    parser.add_argument(
        "--pg-admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a database URL on the PostgreSQL server used to create the bench database",
    )  # fmt: skip
    args = parser.parse_args()
    if args.orders < 100 or args.samples < 1:
        parser.error("--orders must be at least 100 and --samples at least 1")
    try:
        results = asyncio.run(run(args))
    except (StoreUnavailable, OSError, asyncpg.PostgresError) as exc:
        raise SystemExit(f"bench failed: {exc!r}") from exc
    by_backend = {r.backend: r for r in results}
    print(
        f"lookup_p99_ms_sqlite={by_backend['sqlite'].p99_ms:.3f} "
        f"lookup_p99_ms_postgres={by_backend['postgres'].p99_ms:.3f}"
    )


if __name__ == "__main__":
    main()
