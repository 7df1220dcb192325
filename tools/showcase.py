"""The fixed showcase customers and orders that demos and tests rely on.

The SHOWCASE set below is fixed so demos and tests can rely on it (dates relative to the
reference day; both showcase customers own only their showcase orders):

- ACME-1042 Jordan Rivera: shipped with UPS, tracking 1Z999AA10123456784, arrives in 2 days.
- ACME-1043 Jordan Rivera: delivered 5 days ago, returnable (30-day window).
- ACME-1044 Jordan Rivera: delivered 60 days ago, outside the return window.
- ACME-1045 Jordan Rivera: processing, placed today.
- ACME-1046 Sam Patel: cancelled.
- ACME-1047 Sam Patel: out for delivery today with FedEx.
- ACME-1048 Sam Patel: delivered 10 days ago; return RMA-000001 already requested for SP-510.

Jordan Rivera: jordan.rivera@example.com, +14155550142, ZIP 94110 (customer 1).
Sam Patel: sam.patel@example.com, +13125550107, ZIP 60614 (customer 2).
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.models import Customer, OrderStatus

SHOWCASE_CUSTOMERS: dict[int, Customer] = {
    1: Customer(
        id=1,
        name="Jordan Rivera",
        email="jordan.rivera@example.com",
        phone="+14155550142",
        zip_code="94110",
        street="2140 Mission Street",
        city="San Francisco",
        state="CA",
    ),
    2: Customer(
        id=2,
        name="Sam Patel",
        email="sam.patel@example.com",
        phone="+13125550107",
        zip_code="60614",
        street="88 Oak Avenue",
        city="Chicago",
        state="IL",
    ),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ShowcaseOrder:
    """A fixed order; day offsets count back from the reference day (negative = future)."""

    customer_id: int
    status: OrderStatus
    items: tuple[tuple[str, int], ...]  # (sku, quantity)
    placed_days_ago: int
    carrier: str | None = None
    tracking_number: str | None = None
    shipped_days_ago: int | None = None
    eta_days_ago: int | None = None
    delivered_days_ago: int | None = None
    payment_last4: str = "4242"


SHOWCASE_ORDERS: dict[str, ShowcaseOrder] = {
    "ACME-1042": ShowcaseOrder(
        customer_id=1,
        status="shipped",
        items=(("HP-100", 1), ("CB-260", 2)),
        placed_days_ago=3,
        carrier="UPS",
        tracking_number="1Z999AA10123456784",
        shipped_days_ago=2,
        eta_days_ago=-2,
    ),
    "ACME-1043": ShowcaseOrder(
        customer_id=1,
        status="delivered",
        items=(("HP-130", 1), ("CH-200", 1)),
        placed_days_ago=12,
        carrier="FedEx",
        tracking_number="771234567890",
        shipped_days_ago=10,
        eta_days_ago=5,
        delivered_days_ago=5,
    ),
    "ACME-1044": ShowcaseOrder(
        customer_id=1,
        status="delivered",
        items=(("SH-300", 2),),
        placed_days_ago=66,
        carrier="USPS",
        tracking_number="9400111899223344556677",
        shipped_days_ago=64,
        eta_days_ago=60,
        delivered_days_ago=60,
    ),
    "ACME-1045": ShowcaseOrder(
        customer_id=1, status="processing", items=(("KT-400", 1),), placed_days_ago=0
    ),
    "ACME-1046": ShowcaseOrder(
        customer_id=2,
        status="cancelled",
        items=(("SH-320", 1),),
        placed_days_ago=20,
        payment_last4="1881",
    ),
    "ACME-1047": ShowcaseOrder(
        customer_id=2,
        status="out_for_delivery",
        items=(("SP-500", 1),),
        placed_days_ago=4,
        carrier="FedEx",
        tracking_number="771234567891",
        shipped_days_ago=2,
        eta_days_ago=0,
        payment_last4="1881",
    ),
    "ACME-1048": ShowcaseOrder(
        customer_id=2,
        status="delivered",
        items=(("SP-510", 1),),
        placed_days_ago=15,
        carrier="UPS",
        tracking_number="1Z999AA10123456785",
        shipped_days_ago=13,
        eta_days_ago=10,
        delivered_days_ago=10,
        payment_last4="1881",
    ),
}
SHOWCASE_RETURNS = (("ACME-1048", "SP-510", "The sound is too quiet for my kitchen.", 2),)
