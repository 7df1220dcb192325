"""The generated data set is deterministic, realistic, self-consistent and holds the showcase."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

import pytest

from tests.tools.common import REFERENCE
from tools.models import ORDER_STATUSES
from tools.seed import SHOWCASE_CUSTOMERS, SHOWCASE_ORDERS, Dataset, generate_dataset

pytestmark = pytest.mark.unit


def test_same_arguments_same_data(dataset: Dataset) -> None:
    assert generate_dataset(reference=REFERENCE) == dataset
    assert generate_dataset(reference=REFERENCE, seed=2) != dataset


def test_sizes_and_statuses(dataset: Dataset) -> None:
    assert len(dataset.customers) >= 200
    assert len(dataset.order_rows) >= 1000
    assert 35 <= len(dataset.products) <= 45
    assert len({p.category for p in dataset.products}) >= 4
    assert dataset.returns
    statuses = Counter(row[2] for row in dataset.order_rows)
    assert set(statuses) == set(ORDER_STATUSES)
    assert [row[0] for row in dataset.order_rows[:3]] == ["ACME-1000", "ACME-1001", "ACME-1002"]
    assert len({row[0] for row in dataset.order_rows}) == len(dataset.order_rows)


def test_contacts_are_fictional_and_unique(dataset: Dataset) -> None:
    emails = [c.email for c in dataset.customers]
    phones = [c.phone for c in dataset.customers]
    assert all(e.endswith("@example.com") for e in emails)
    assert all(re.fullmatch(r"\+1[2-9]\d{2}55501\d{2}", p) for p in phones)
    assert len(set(emails)) == len(emails)
    assert len(set(phones)) == len(phones)
    assert all(re.fullmatch(r"\d{5}", c.zip_code) for c in dataset.customers)


def test_orders_are_consistent(dataset: Dataset) -> None:
    skus = {p.sku for p in dataset.products}
    for order in dataset.orders():
        assert order.items
        assert order.total_cents == sum(i.quantity * i.unit_price_cents for i in order.items)
        assert {i.sku for i in order.items} <= skus
        assert order.placed_at <= REFERENCE
        if order.status in ("processing", "cancelled"):
            assert order.carrier is None and order.shipped_at is None
            continue
        assert order.carrier and order.tracking_number and order.shipped_at
        assert order.placed_at <= order.shipped_at <= REFERENCE
        assert order.estimated_delivery is not None
        if order.status == "delivered":
            assert order.delivered_at is not None
            assert order.shipped_at <= order.delivered_at <= REFERENCE
        else:
            assert order.delivered_at is None
            assert order.estimated_delivery >= REFERENCE


def test_returns_point_at_delivered_items(dataset: Dataset) -> None:
    orders = {o.order_id: o for o in dataset.orders()}
    ids = [r.return_id for r in dataset.returns]
    assert ids == [f"RMA-{n:06d}" for n in range(1, len(ids) + 1)]
    for ret in dataset.returns:
        order = orders[ret.order_id]
        assert order.status == "delivered" and order.delivered_at is not None
        assert ret.sku in {i.sku for i in order.items}
        assert order.delivered_at <= ret.created_at.date() <= REFERENCE


def test_showcase_relative_to_reference(dataset: Dataset) -> None:
    orders = {o.order_id: o for o in dataset.orders()}
    ref = REFERENCE
    o42, o43, o44 = orders["ACME-1042"], orders["ACME-1043"], orders["ACME-1044"]
    assert (o42.status, o42.carrier, o42.tracking_number) == (
        "shipped",
        "UPS",
        "1Z999AA10123456784",
    )
    assert o42.estimated_delivery == ref + timedelta(days=2)
    assert (o43.status, o43.delivered_at) == ("delivered", ref - timedelta(days=5))
    assert (o44.status, o44.delivered_at) == ("delivered", ref - timedelta(days=60))
    assert orders["ACME-1045"].status == "processing"
    assert orders["ACME-1046"].status == "cancelled"
    assert orders["ACME-1047"].status == "out_for_delivery"
    assert set(SHOWCASE_ORDERS) <= set(orders)
    jordan = SHOWCASE_CUSTOMERS[1]
    assert (jordan.name, jordan.email, jordan.phone, jordan.zip_code) == (
        "Jordan Rivera", "jordan.rivera@example.com", "+14155550142", "94110",
    )  # fmt: skip
    showcase_owners = {o.customer_id for o in orders.values()} & set(SHOWCASE_CUSTOMERS)
    assert showcase_owners == {1, 2}
    owned = {o.order_id for o in orders.values() if o.customer_id in SHOWCASE_CUSTOMERS}
    assert owned == set(SHOWCASE_ORDERS)


def test_dates_follow_the_reference() -> None:
    later = generate_dataset(reference=date(2027, 1, 1))
    order = next(o for o in later.orders() if o.order_id == "ACME-1043")
    assert order.delivered_at == date(2026, 12, 27)


def test_large_data_sets_and_limits() -> None:
    big = generate_dataset(customers=2_000, orders=50_000, reference=REFERENCE)
    assert len(big.order_rows) == 50_000
    assert len({c.phone for c in big.customers}) == 2_000
    assert len(big.item_rows) > 50_000
    with pytest.raises(ValueError, match="showcase"):
        generate_dataset(orders=10, reference=REFERENCE)
    with pytest.raises(ValueError, match="customers"):
        generate_dataset(customers=2, reference=REFERENCE)
