"""Deterministic demo data: customers, orders and returns dated relative to a reference day.

The fixed SHOWCASE set that demos and tests rely on is described in tools/showcase.py and
re-exported here (SHOWCASE_ORDERS, SHOWCASE_CUSTOMERS, SHOWCASE_RETURNS).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from tools import catalog
from tools.models import (
    Customer,
    Order,
    OrderItem,
    OrderStatus,
    Product,
    ReturnRequest,
    ReturnStatus,
    format_return_id,
)
from tools.rows import ItemRow, OrderRow, item_from_row, order_from_row
from tools.showcase import SHOWCASE_CUSTOMERS, SHOWCASE_ORDERS, SHOWCASE_RETURNS, ShowcaseOrder

__all__ = [
    "SHOWCASE_CUSTOMERS",
    "SHOWCASE_ORDERS",
    "SHOWCASE_RETURNS",
    "Dataset",
    "ItemRow",
    "OrderRow",
    "ShowcaseOrder",
    "generate_dataset",
    "shipping_address",
]

SEED = 1042
FIRST_ORDER_NUMBER = 1000

_RETURN_REASONS = (
    "It arrived damaged.", "It stopped working after a few days.", "Wrong color.",
    "I ordered the wrong model.", "It doesn't fit my needs.", "I found a better price.",
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Dataset:
    reference: date
    products: tuple[Product, ...]
    customers: tuple[Customer, ...]
    order_rows: Sequence[OrderRow]
    item_rows: Sequence[ItemRow]  # grouped by order, in the same order as order_rows
    returns: tuple[ReturnRequest, ...]

    def orders(self) -> Iterator[Order]:
        """Yield every order as a model (slow for big data sets; meant for tests and demos)."""
        items = iter(self.item_rows)
        pending = next(items, None)
        for row in self.order_rows:
            lines: list[OrderItem] = []
            while pending is not None and pending[0] == row[0]:
                lines.append(item_from_row(pending))
                pending = next(items, None)
            yield order_from_row(row, tuple(lines))


def shipping_address(customer: Customer) -> str:
    return f"{customer.street}, {customer.city}, {customer.state} {customer.zip_code}"


def generate_dataset(
    *, customers: int = 240, orders: int = 1200, reference: date | None = None, seed: int = SEED
) -> Dataset:
    """Generate the same realistic data set for the same arguments, dated around ``reference``."""
    showcase_numbers = [int(k.split("-")[1]) for k in SHOWCASE_ORDERS]
    if orders < max(showcase_numbers) - FIRST_ORDER_NUMBER + 1:
        raise ValueError("orders must be large enough to include the showcase orders")
    if customers <= len(SHOWCASE_CUSTOMERS):
        raise ValueError("customers must exceed the number of showcase customers")
    ref = reference or date.today()
    rng = random.Random(seed)
    products = catalog.catalog()
    people = _customers(rng, customers)
    builder = _OrderBuilder(rng=rng, ref=ref, products=products, customers=people)
    for n in range(orders):
        order_id = f"ACME-{FIRST_ORDER_NUMBER + n}"
        spec = SHOWCASE_ORDERS.get(order_id)
        if spec is not None:
            builder.add_showcase(order_id, spec)
        else:
            builder.add_random(order_id)
    return Dataset(
        reference=ref,
        products=products,
        customers=people,
        order_rows=builder.order_rows,
        item_rows=builder.item_rows,
        returns=tuple(builder.returns),
    )


def _customers(rng: random.Random, count: int) -> tuple[Customer, ...]:
    taken = {c.phone for c in SHOWCASE_CUSTOMERS.values()}
    area_codes = [
        f"{a}{b}{c}" for a in range(2, 10) for b in range(9) for c in range(10) if b or c != 1
    ]
    slots = len(area_codes) * 100
    if count + len(taken) > slots:
        raise ValueError("too many customers for unique fictional phone numbers")
    phones = (
        f"+1{area_codes[s // 100]}55501{s % 100:02d}"
        for s in rng.sample(range(slots), count + len(taken))
    )
    people = list(SHOWCASE_CUSTOMERS.values())
    for cid in range(len(people) + 1, count + 1):
        phone = next(p for p in phones if p not in taken)
        first, last = rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES)
        city, state, zip_code, _area = rng.choice(catalog.CITIES)
        street = f"{rng.randint(1, 9899)} {rng.choice(catalog.STREET_NAMES)}"
        email = f"{first}.{last}.{cid}@example.com".lower()
        people.append(
            Customer(
                id=cid,
                name=f"{first} {last}",
                email=email,
                phone=phone,
                zip_code=zip_code,
                street=street,
                city=city,
                state=state,
            )
        )
    return tuple(people)


class _OrderBuilder:
    def __init__(
        self,
        *,
        rng: random.Random,
        ref: date,
        products: tuple[Product, ...],
        customers: tuple[Customer, ...],
    ) -> None:
        self.rng, self.ref, self.products = rng, ref, products
        self.by_sku = {p.sku: p for p in products}
        self.windows = catalog.return_windows()
        self.addresses = [shipping_address(c) for c in customers]
        self.first_random_customer = len(SHOWCASE_CUSTOMERS) + 1
        self.last_customer = len(customers)
        self.days = [ref - timedelta(days=k) for k in range(-10, 1000)]  # days[k + 10]
        self.order_rows: list[OrderRow] = []
        self.item_rows: list[ItemRow] = []
        self.returns: list[ReturnRequest] = []

    def day(self, days_ago: int | None) -> date | None:
        return None if days_ago is None else self.days[days_ago + 10]

    def _items(self, order_id: str, lines: Sequence[tuple[Product, int]]) -> int:
        total = 0
        for line_no, (product, qty) in enumerate(lines, start=1):
            self.item_rows.append(
                (
                    order_id,
                    line_no,
                    product.sku,
                    product.name,
                    qty,
                    product.price_cents,
                    self.windows[product.sku],
                )
            )
            total += qty * product.price_cents
        return total

    def add_showcase(self, order_id: str, spec: ShowcaseOrder) -> None:
        lines = [(self.by_sku[sku], qty) for sku, qty in spec.items]
        total = self._items(order_id, lines)
        placed = self.day(spec.placed_days_ago)
        assert placed is not None
        self.order_rows.append(
            (
                order_id,
                spec.customer_id,
                spec.status,
                placed,
                spec.carrier,
                spec.tracking_number,
                self.day(spec.shipped_days_ago),
                self.day(spec.eta_days_ago),
                self.day(spec.delivered_days_ago),
                self.addresses[spec.customer_id - 1],
                spec.payment_last4,
                total,
            )
        )
        for r_order, sku, reason, days_ago in SHOWCASE_RETURNS:
            if r_order == order_id:
                self._add_return(order_id, sku, reason, days_ago)

    def add_random(self, order_id: str) -> None:
        rng = self.rng
        cid = rng.randint(self.first_random_customer, self.last_customer)
        age = rng.randint(0, 7) if rng.random() < 0.12 else rng.randint(0, 540)
        status = self._status(age)
        roll = rng.random()
        count = 1 if roll < 0.6 else (2 if roll < 0.9 else 3)
        lines = [(p, 1 if rng.random() < 0.85 else 2) for p in rng.sample(self.products, count)]
        total = self._items(order_id, lines)
        carrier = tracking = None
        shipped = eta = delivered = None
        if status in ("shipped", "out_for_delivery", "delivered"):
            carrier = rng.choice(catalog.CARRIERS)
            tracking = self._tracking(carrier)
            shipped = age - 1
            if status == "shipped":
                eta = min(shipped - rng.randint(3, 5), -1)
            elif status == "out_for_delivery":
                eta = 0
            else:
                delivered = max(shipped - rng.randint(2, 5), 0)
                eta = delivered + rng.choice((-1, 0, 0, 1))
        self.order_rows.append(
            (
                order_id,
                cid,
                status,
                self.days[age + 10],
                carrier,
                tracking,
                self.day(shipped),
                self.day(eta),
                self.day(delivered),
                self.addresses[cid - 1],
                f"{rng.randint(0, 9999):04d}",
                total,
            )
        )
        if delivered is not None and delivered <= 45 and rng.random() < 0.15:
            product = lines[0][0]
            window = self.windows[product.sku]
            days_ago = delivered - rng.randint(1, max(1, min(window, delivered)))
            self._add_return(order_id, product.sku, rng.choice(_RETURN_REASONS), max(days_ago, 0))

    def _status(self, age: int) -> OrderStatus:
        roll = self.rng.random()
        if age <= 1:
            return "processing" if roll < 0.85 else "cancelled"
        if age <= 3:
            return "shipped" if roll < 0.7 else ("processing" if roll < 0.9 else "cancelled")
        if age <= 6:
            choices: tuple[OrderStatus, ...] = ("shipped", "out_for_delivery", "delivered")
            return "cancelled" if roll < 0.05 else choices[int(roll * 100) % 3]
        return "cancelled" if roll < 0.05 else "delivered"

    def _tracking(self, carrier: str) -> str:
        rng = self.rng
        if carrier == "UPS":
            letters = "".join(rng.choices("ABCDEFGHJKLMNPRSTUVWXYZ0123456789", k=6))
            return f"1Z{letters}{rng.randrange(10**10):010d}"
        if carrier == "FedEx":
            return f"{rng.randrange(10**12):012d}"
        return f"9400{rng.randrange(10**18):018d}"

    def _add_return(self, order_id: str, sku: str, reason: str, days_ago: int) -> None:
        status: ReturnStatus = (
            "refunded" if days_ago >= 14 else ("received" if days_ago >= 5 else "requested")
        )
        day = self.day(days_ago)
        assert day is not None
        created = datetime.combine(day, time(15, 30), tzinfo=UTC)
        number = len(self.returns) + 1
        self.returns.append(
            ReturnRequest(
                return_id=format_return_id(number),
                order_id=order_id,
                sku=sku,
                reason=reason,
                status=status,
                created_at=created,
            )
        )
