"""The behaviour every OrderStore backend must share; subclassed once per backend."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import pytest

from tests.tools.common import NOW, REFERENCE
from tools.errors import OrderNotFound
from tools.seed import SHOWCASE_CUSTOMERS, Dataset
from tools.store import OrderStore


class StoreContract:
    """Tests take a ``store`` fixture (seeded with the ``dataset`` fixture) from the subclass."""

    async def test_get_order_round_trips_showcase_and_sampled_orders(
        self, store: OrderStore, dataset: Dataset
    ) -> None:
        expected = {o.order_id: o for o in dataset.orders()}
        ids = ["ACME-1042", "ACME-1043", "ACME-1044", "ACME-1045", "ACME-1046", "ACME-1047"]
        ids += random.Random(7).sample(sorted(expected), 25)
        for order_id in ids:
            assert await store.get_order(order_id) == expected[order_id]

    async def test_showcase_order_fields(self, store: OrderStore) -> None:
        order = await store.get_order("ACME-1042")
        assert order is not None
        assert (order.status, order.carrier, order.customer_id) == ("shipped", "UPS", 1)
        assert order.estimated_delivery is not None
        assert (order.estimated_delivery - REFERENCE).days == 2
        assert [i.sku for i in order.items] == ["HP-100", "CB-260"]
        assert order.total_cents == sum(i.quantity * i.unit_price_cents for i in order.items)

    @pytest.mark.parametrize(
        "order_id", ["ACME-0000", "acme-1042", "", "ACME-1042' OR '1'='1", "ACME-1042%", "%"]
    )
    async def test_get_order_unknown_is_none(self, store: OrderStore, order_id: str) -> None:
        assert await store.get_order(order_id) is None

    async def test_customers_by_id_email_and_phone(self, store: OrderStore) -> None:
        jordan = SHOWCASE_CUSTOMERS[1]
        assert await store.get_customer(1) == jordan
        assert await store.find_customer_by_email("  Jordan.RIVERA@example.com ") == jordan
        assert await store.find_customer_by_phone("+14155550142") == jordan
        assert await store.get_customer(999_999) is None
        assert await store.find_customer_by_email("jordan.rivera@example.org") is None
        assert await store.find_customer_by_email("%@example.com") is None
        assert await store.find_customer_by_phone("+14155550143") is None

    async def test_every_generated_customer_is_found_by_email_and_phone(
        self, store: OrderStore, dataset: Dataset
    ) -> None:
        for customer in random.Random(3).sample(dataset.customers, 30):
            assert await store.find_customer_by_email(customer.email.upper()) == customer
            assert await store.find_customer_by_phone(customer.phone) == customer

    async def test_orders_for_customer_newest_first_with_limit(
        self, store: OrderStore, dataset: Dataset
    ) -> None:
        orders = await store.orders_for_customer(1)
        assert [o.order_id for o in orders] == ["ACME-1045", "ACME-1042", "ACME-1043", "ACME-1044"]
        assert [o.order_id for o in await store.orders_for_customer(1, limit=2)] == [
            "ACME-1045",
            "ACME-1042",
        ]
        by_customer: dict[int, list[str]] = {}
        for row in dataset.order_rows:
            by_customer.setdefault(row[1], []).append(row[0])
        busy = max(by_customer, key=lambda cid: len(by_customer[cid]))
        got = await store.orders_for_customer(busy, limit=5)
        assert len(got) == 5
        assert all(o.customer_id == busy for o in got)
        assert [o.placed_at for o in got] == sorted((o.placed_at for o in got), reverse=True)
        everything = await store.orders_for_customer(busy, limit=50)
        assert {o.order_id for o in everything} == set(by_customer[busy])
        assert all(o.items for o in everything)
        assert await store.orders_for_customer(999_999) == []

    async def test_seeded_return_is_visible(self, store: OrderStore) -> None:
        existing = await store.get_return("ACME-1048", "SP-510")
        assert existing is not None
        assert (existing.return_id, existing.status) == ("RMA-000001", "requested")
        assert await store.get_return("ACME-1043", "HP-130") is None

    async def test_create_return_is_idempotent(self, store: OrderStore, dataset: Dataset) -> None:
        first, created = await store.create_return(
            order_id="ACME-1043", sku="HP-130", reason="Too big.", now=NOW
        )
        assert created is True
        assert (first.order_id, first.sku, first.reason, first.status) == (
            "ACME-1043", "HP-130", "Too big.", "requested",
        )  # fmt: skip
        assert first.created_at == NOW
        assert first.return_id == f"RMA-{len(dataset.returns) + 1:06d}"
        again, created_again = await store.create_return(
            order_id="ACME-1043", sku="HP-130", reason="Another reason.", now=datetime.now(UTC)
        )
        assert (again, created_again) == (first, False)
        assert await store.get_return("ACME-1043", "HP-130") == first
        other, created_other = await store.create_return(
            order_id="ACME-1043", sku="CH-200", reason="Not needed.", now=NOW
        )
        assert created_other is True
        assert other.return_id != first.return_id

    async def test_concurrent_create_return_makes_exactly_one(self, store: OrderStore) -> None:
        results = await asyncio.gather(
            *(
                store.create_return(order_id="ACME-1043", sku="CH-200", reason=f"r{n}", now=NOW)
                for n in range(12)
            )
        )
        assert sum(created for _, created in results) == 1
        assert len({r.return_id for r, _ in results}) == 1

    async def test_create_return_for_unknown_order(self, store: OrderStore) -> None:
        with pytest.raises(OrderNotFound):
            await store.create_return(order_id="ACME-9999999", sku="HP-100", reason="x", now=NOW)

    async def test_search_products_by_name_keyword_and_category(self, store: OrderStore) -> None:
        assert [p.sku for p in await store.search_products("smart lock")] == ["SH-370"]
        headphones = await store.search_products("wireless headphones", limit=3)
        assert headphones[0].name == "Aurora Wireless Headphones"
        kitchen = await store.search_products("kitchen", limit=5)
        assert len(kitchen) == 5
        assert all(p.category == "kitchen" for p in kitchen)
        assert len(await store.search_products("chargers")) == 3
        assert (await store.search_products("espresso"))[0].available is False

    @pytest.mark.parametrize("query", ["%", "_", "\\", "%a%", "__", "%%%", "", "zzqx"])
    async def test_search_products_treats_wildcards_literally(
        self, store: OrderStore, query: str
    ) -> None:
        assert await store.search_products(query) == []
        assert len(await store.search_products("speaker", limit=10)) >= 5

    @pytest.mark.parametrize(
        "text", ["'; DROP TABLE products; --", "x' OR '1'='1", "1); DELETE FROM orders; --"]
    )
    async def test_sql_in_arguments_is_just_text(self, store: OrderStore, text: str) -> None:
        await store.search_products(text)
        assert await store.get_order(text) is None
        assert await store.find_customer_by_email(text) is None
        assert await store.find_customer_by_phone(text) is None
        assert await store.get_return(text, text) is None
        _, created = await store.create_return(
            order_id="ACME-1043", sku="HP-130", reason=text, now=NOW
        )
        assert created is True
        assert len(await store.search_products("kitchen", limit=10)) == 8
        assert await store.get_order("ACME-1042") is not None

    async def test_ping_and_close_twice(self, store: OrderStore) -> None:
        await store.ping()
        await store.close()
        await store.close()
