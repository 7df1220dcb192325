"""Plain, immutable records shared by the order stores and the support desk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, get_args

OrderStatus = Literal["processing", "shipped", "out_for_delivery", "delivered", "cancelled"]
ReturnStatus = Literal["requested", "received", "refunded"]

ORDER_STATUSES: tuple[OrderStatus, ...] = get_args(OrderStatus)
RETURN_STATUSES: tuple[ReturnStatus, ...] = get_args(ReturnStatus)
OPEN_STATUSES: frozenset[OrderStatus] = frozenset({"processing", "shipped", "out_for_delivery"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Product:
    sku: str
    name: str
    category: str
    description: str
    price_cents: int
    stock: int

    @property
    def available(self) -> bool:
        return self.stock > 0


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderItem:
    sku: str
    product_name: str
    quantity: int
    unit_price_cents: int
    return_window_days: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Customer:
    id: int
    name: str
    email: str
    phone: str  # E.164, e.g. "+14155550142"
    zip_code: str
    street: str
    city: str
    state: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Order:
    order_id: str  # canonical "ACME-1042"
    customer_id: int
    status: OrderStatus
    placed_at: date
    items: tuple[OrderItem, ...]
    carrier: str | None
    tracking_number: str | None
    shipped_at: date | None
    estimated_delivery: date | None
    delivered_at: date | None
    shipping_address: str
    payment_last4: str
    total_cents: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnRequest:
    return_id: str  # "RMA-000123"
    order_id: str
    sku: str
    reason: str
    status: ReturnStatus
    created_at: datetime


def format_return_id(number: int) -> str:
    """Return the customer-facing return number for a numeric return id."""
    return f"RMA-{number:06d}"
