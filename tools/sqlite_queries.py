"""Blocking SQLite queries; only ever called on the SQLite store's worker thread."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from tools import sqlite_sql as sql
from tools.errors import OrderNotFound
from tools.models import Customer, Order, Product, ReturnRequest, format_return_id
from tools.rows import OrderRow, item_from_row, order_from_row
from tools.search import CANDIDATE_LIMIT, like_pattern
from tools.seed import Dataset, generate_dataset

MAX_ORDERS_PER_CUSTOMER = 50


def setup(
    conn: sqlite3.Connection, seed: bool, reference: date | None, *, wait_s: float, busy_s: float
) -> None:
    """Create missing tables and indexes; seed them once when empty (safe across processes).

    Another process may be seeding the same file: wait up to `wait_s` for it rather than the
    short `busy_s` that call-time queries use, then restore `busy_s`.
    """
    from tools.sqlite_audit import SCHEMA as AUDIT_SCHEMA  # here: it imports transaction()

    conn.execute(f"PRAGMA busy_timeout = {int(wait_s * 1000)}")
    try:
        conn.executescript(sql.SCHEMA)
        conn.executescript(AUDIT_SCHEMA)
        if not seed:
            return
        with transaction(conn):
            if conn.execute(sql.HAS_ORDERS).fetchone()[0] == 0:
                _insert(conn, generate_dataset(reference=reference))
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_s * 1000)}")


def load(conn: sqlite3.Connection, dataset: Dataset) -> None:
    """Bulk-insert a data set in one transaction, then checkpoint and refresh statistics."""
    with transaction(conn):
        _insert(conn, dataset)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _insert(conn: sqlite3.Connection, data: Dataset) -> None:
    if conn.execute(sql.HAS_ORDERS).fetchone()[0]:
        raise ValueError("order tables are not empty")
    conn.executemany(
        sql.INSERT_PRODUCT,
        ((p.sku, p.name, p.category, p.description, p.price_cents, p.stock) for p in data.products),
    )
    conn.executemany(
        sql.INSERT_CUSTOMER,
        ((c.id, c.name, c.email, c.phone, c.zip_code, c.street, c.city, c.state)
         for c in data.customers),
    )  # fmt: skip
    conn.executemany(
        sql.INSERT_ORDER,
        ((r[0], r[1], r[2], r[3].isoformat(), r[4], r[5], _iso(r[6]), _iso(r[7]), _iso(r[8]),
          r[9], r[10], r[11]) for r in data.order_rows),
    )  # fmt: skip
    conn.executemany(sql.INSERT_ITEM, data.item_rows)
    conn.executemany(
        sql.INSERT_SEED_RETURN,
        ((int(r.return_id.removeprefix("RMA-")), r.order_id, r.sku, r.reason, r.status,
          r.created_at.isoformat()) for r in data.returns),
    )  # fmt: skip


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE (take the write lock up front), COMMIT or ROLLBACK."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _order_row(row: Any) -> OrderRow:
    return (row[0], row[1], row[2], date.fromisoformat(row[3]), row[4], row[5], _day(row[6]),
            _day(row[7]), _day(row[8]), row[9], row[10], row[11])  # fmt: skip


def _customer(row: Any) -> Customer:
    return Customer(id=row[0], name=row[1], email=row[2], phone=row[3], zip_code=row[4],
                    street=row[5], city=row[6], state=row[7])  # fmt: skip


def _return(row: Any) -> ReturnRequest:
    return ReturnRequest(
        return_id=format_return_id(row[0]), order_id=row[1], sku=row[2], reason=row[3],
        status=row[4], created_at=datetime.fromisoformat(row[5]),
    )  # fmt: skip


def get_order(conn: sqlite3.Connection, order_id: str) -> Order | None:
    rows = conn.execute(sql.GET_ORDER, (order_id,)).fetchall()
    if not rows:
        return None
    items = tuple(item_from_row(r[12:]) for r in rows if r[12] is not None)
    return order_from_row(_order_row(rows[0]), items)


def one_customer(conn: sqlite3.Connection, query: str, params: tuple[Any, ...]) -> Customer | None:
    row = conn.execute(query, params).fetchone()
    return None if row is None else _customer(row)


def orders_for_customer(conn: sqlite3.Connection, customer_id: int, limit: int) -> list[Order]:
    rows = conn.execute(sql.ORDERS_FOR_CUSTOMER, (customer_id, limit)).fetchall()
    if not rows:
        return []
    ids = [r[0] for r in rows]
    marks = ", ".join("?" * len(ids))
    items: dict[str, list[Any]] = {order_id: [] for order_id in ids}
    for item in conn.execute(sql.ITEMS_FOR_ORDERS.format(marks=marks), ids):
        items[item[0]].append(item)
    return [
        order_from_row(
            _order_row(r), tuple(item_from_row(i) for i in sorted(items[r[0]], key=lambda i: i[1]))
        )
        for r in rows
    ]


def create_return(
    conn: sqlite3.Connection, order_id: str, sku: str, reason: str, created_at: str
) -> tuple[ReturnRequest, bool]:
    with transaction(conn):
        if conn.execute(sql.ORDER_EXISTS, (order_id,)).fetchone() is None:
            raise OrderNotFound(order_id=order_id)
        row = conn.execute(sql.INSERT_RETURN, (order_id, sku, reason, created_at)).fetchone()
        if row is not None:
            return _return(row), True
        existing = conn.execute(sql.GET_RETURN, (order_id, sku)).fetchone()
    if existing is None:
        raise sqlite3.IntegrityError("return vanished after a conflicting insert")
    return _return(existing), False


def get_return(conn: sqlite3.Connection, order_id: str, sku: str) -> ReturnRequest | None:
    row = conn.execute(sql.GET_RETURN, (order_id, sku)).fetchone()
    return None if row is None else _return(row)


def search_products(conn: sqlite3.Connection, terms: list[str]) -> list[Product]:
    conditions = " OR ".join(f"({sql.PRODUCT_MATCH})" for _ in terms)
    params: list[Any] = [like_pattern(t) for t in terms for _ in range(4)]
    params.append(CANDIDATE_LIMIT)
    rows = conn.execute(sql.SEARCH_PRODUCTS.format(conditions=conditions), params).fetchall()
    return [Product(sku=r[0], name=r[1], category=r[2], description=r[3], price_cents=r[4],
                    stock=r[5]) for r in rows]  # fmt: skip


def ping(conn: sqlite3.Connection) -> None:
    conn.execute(sql.HAS_ORDERS).fetchone()


def order_count(conn: sqlite3.Connection) -> int:
    count: int = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
    return count
