"""Row shapes shared by the seed generator and the stores, and their conversion to models."""

from __future__ import annotations

from datetime import date

from tools.models import ORDER_STATUSES, Order, OrderItem

_Text = str | None
_Day = date | None
# order_id, customer_id, status, placed_at, carrier, tracking_number, shipped_at,
# estimated_delivery, delivered_at, shipping_address, payment_last4, total_cents
OrderRow = tuple[str, int, str, date, _Text, _Text, _Day, _Day, _Day, str, str, int]
# order_id, line_no, sku, product_name, quantity, unit_price_cents, return_window_days
ItemRow = tuple[str, int, str, str, int, int, int]

ORDER_COLUMNS = (
    "order_id", "customer_id", "status", "placed_at", "carrier", "tracking_number", "shipped_at",
    "estimated_delivery", "delivered_at", "shipping_address", "payment_last4", "total_cents",
)  # fmt: skip
ITEM_COLUMNS = (
    "order_id", "line_no", "sku", "product_name", "quantity", "unit_price_cents",
    "return_window_days",
)  # fmt: skip


def item_from_row(row: ItemRow) -> OrderItem:
    return OrderItem(
        sku=row[2],
        product_name=row[3],
        quantity=row[4],
        unit_price_cents=row[5],
        return_window_days=row[6],
    )


def order_from_row(row: OrderRow, items: tuple[OrderItem, ...]) -> Order:
    """Build an Order from a row in OrderRow column order."""
    o_id, cust, status, placed, carrier, tracking, shipped, eta, delivered, addr, last4, total = row
    if status not in ORDER_STATUSES:
        raise ValueError("unknown order status")
    return Order(
        order_id=o_id,
        customer_id=cust,
        status=status,
        placed_at=placed,
        items=items,
        carrier=carrier,
        tracking_number=tracking,
        shipped_at=shipped,
        estimated_delivery=eta,
        delivered_at=delivered,
        shipping_address=addr,
        payment_last4=last4,
        total_cents=total,
    )
