"""Acme's support policies as short spoken answers: status, lookup, verification, returns."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime

from tools import speech
from tools.errors import (
    AmbiguousOrderId,
    CustomerNotFound,
    InvalidInput,
    InvalidOrderId,
    NotVerified,
    OrderNotFound,
    ReturnNotAllowed,
    VerificationFailed,
    VerificationLocked,
)
from tools.inputs import clean_text, parse_customer_id, parse_email, parse_phone, parse_zip
from tools.models import OPEN_STATUSES, Customer, Order
from tools.order_ids import normalize_order_id
from tools.search import match_order_item
from tools.store import OrderStore
from tools.verification import CallerVerification

__all__ = ["CallerVerification", "SupportDesk"]

security_log = logging.getLogger("acme.security")
logger = logging.getLogger("acme.tools.support")
MAX_LISTED_ORDERS = 5


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SupportDesk:
    """Business answers for one store; every failure is a SupportError with a spoken message."""

    def __init__(
        self,
        *,
        store: OrderStore,
        clock: Callable[[], datetime] = _utc_now,
        return_window_days_default: int = 30,
        returns_need_verification: bool = False,
    ) -> None:
        self._store = store
        self._clock = clock
        self._window_default = return_window_days_default
        self._returns_need_verification = returns_need_verification

    async def order_status(self, order_id_text: str) -> str:
        """Status, items, carrier, tracking and dates; no personal details, so no verification."""
        order = await self._order(order_id_text)
        today = self._today()
        items = speech.items_summary(order.items)
        oid = order.order_id

        def day(value: date | None) -> str:
            return speech.when(value, today=today) if value else "soon"

        carrier, tracking = order.carrier, order.tracking_number
        match order.status:
            case "processing":
                return (
                    f"Order {oid} is being prepared for shipment; it was placed "
                    f"{day(order.placed_at)}. It contains {items}."
                )
            case "shipped":
                return (
                    f"Order {oid} shipped with {carrier} {day(order.shipped_at)} and should "
                    f"arrive {day(order.estimated_delivery)}; the tracking number is {tracking}. "
                    f"It contains {items}."
                )
            case "out_for_delivery":
                return (
                    f"Order {oid} is out for delivery with {carrier} and should arrive "
                    f"{day(order.estimated_delivery or today)}; the tracking number is {tracking}. "
                    f"It contains {items}."
                )
            case "delivered":
                return f"Order {oid} was delivered {day(order.delivered_at)}. It contained {items}."
            case "cancelled":
                return f"Order {oid} was cancelled. It contained {items}."

    async def find_orders(self, *, email: str | None = None, phone: str | None = None) -> str:
        """Order IDs and statuses for an email or phone number, newest first (no addresses)."""
        if email is None and phone is None:
            raise InvalidInput(what="email address or phone number")
        customer = None
        if email is not None:
            customer = await self._store.find_customer_by_email(parse_email(email))
        if customer is None and phone is not None:
            customer = await self._store.find_customer_by_phone(parse_phone(phone))
        security_log.info(
            "orders listed by contact",
            extra={"method": "email" if email is not None else "phone", "found": bool(customer)},
        )
        if customer is None:
            raise CustomerNotFound()
        orders = await self._store.orders_for_customer(customer.id, limit=MAX_LISTED_ORDERS + 1)
        if not orders:
            return "I don't see any orders on that account yet."
        shown = orders[:MAX_LISTED_ORDERS]
        phrases = speech.join_words(
            [f"{o.order_id} {speech.STATUS_PHRASES[o.status]}" for o in shown]
        )
        if len(orders) > MAX_LISTED_ORDERS:
            return f"The {len(shown)} most recent orders on that account: {phrases}."
        count = "one order" if len(shown) == 1 else f"{len(shown)} orders"
        return f"I found {count} on that account: {phrases}."

    async def verify_caller(
        self,
        verification: CallerVerification,
        *,
        order_id_text: str,
        email: str | None = None,
        zip_code: str | None = None,
    ) -> str:
        """Check the email or ZIP code on an order (both must match if both are given).

        Locks for the rest of the call after ``max_attempts`` failures, even for a right answer.
        Unusable answers and unknown orders do not count as tries, but are logged.
        """
        try:
            order_id = normalize_order_id(clean_text(order_id_text, what="order number"))
        except (InvalidInput, InvalidOrderId, AmbiguousOrderId) as exc:
            security_log.warning(
                "caller verification rejected", extra={"reason": type(exc).__name__}
            )
            raise
        if verification.locked:
            security_log.warning(
                "verification attempted while locked",
                extra={"order_id": order_id, "attempts": verification.failed_attempts},
            )
            raise VerificationLocked()
        try:
            if email is None and zip_code is None:
                raise InvalidInput(what="email address or ZIP code")
            given_email = parse_email(email) if email is not None else None
            given_zip = parse_zip(zip_code) if zip_code is not None else None
            order = await self._order_by_id(order_id)
        except (InvalidInput, OrderNotFound) as exc:
            security_log.warning(
                "caller verification rejected",
                extra={"order_id": order_id, "reason": type(exc).__name__},
            )
            raise
        customer = await self._store.get_customer(order.customer_id)
        matched = customer is not None
        if customer is not None and given_email is not None:
            matched = _same(given_email, customer.email.strip().lower())
        if customer is not None and given_zip is not None:
            matched = matched and _same(given_zip, customer.zip_code.strip()[:5])
        method = "email" if given_email is not None else "zip"
        if not matched or customer is None:
            verification.failed_attempts += 1
            fields = {"order_id": order_id, "attempts": verification.failed_attempts}
            security_log.warning("caller verification failed", extra={**fields, "method": method})
            if verification.locked:
                security_log.warning("caller verification locked", extra=fields)
                raise VerificationLocked()
            left = verification.max_attempts - verification.failed_attempts
            raise VerificationFailed(attempts_left=left)
        verification.customer_id, verification.method = customer.id, method
        security_log.info("caller verified", extra={"order_id": order_id, "method": method})
        return (
            f"Thank you, {speech.first_name(customer.name)}; you're verified for order {order_id}."
        )

    async def verify_by_phone(
        self, verification: CallerVerification, phone_e164: str
    ) -> Customer | None:
        """Verify a phone caller whose caller ID matches an account; None when it does not."""
        if verification.locked:
            return None
        try:
            phone = parse_phone(phone_e164)
        except InvalidInput:
            return None
        customer = await self._store.find_customer_by_phone(phone)
        if customer is not None:
            verification.customer_id, verification.method = customer.id, "phone"
            security_log.info("caller verified", extra={"method": "phone"})
        return customer

    async def order_details(self, verification: CallerVerification, order_id_text: str) -> str:
        """Shipping address, email, phone and card last four, only for the verified owner."""
        order = await self._order(order_id_text)
        if not verification.verified_for(order.customer_id):
            security_log.warning(
                "personal details requested without verification",
                extra={"order_id": order.order_id, "verified": verification.verified},
            )
            raise VerificationLocked() if verification.locked else NotVerified()
        customer = await self._store.get_customer(order.customer_id)
        if customer is None:
            raise CustomerNotFound()
        return (
            f"Order {order.order_id} ships to {order.shipping_address}. The email on file is "
            f"{customer.email}, the phone number is {speech.spoken_phone(customer.phone)}, and "
            f"it was paid with the card ending in {order.payment_last4}."
        )

    async def start_return(
        self,
        verification: CallerVerification | None,
        *,
        order_id_text: str,
        item: str,
        reason: str,
    ) -> str:
        """Open a return (RMA) for one delivered item inside its window; asking twice is safe."""
        item_text = clean_text(item, what="item name")
        reason_text = clean_text(reason, what="return reason")
        order = await self._order(order_id_text)
        if self._returns_need_verification and not (
            verification is not None and verification.verified_for(order.customer_id)
        ):
            raise VerificationLocked() if verification and verification.locked else NotVerified()
        if order.status == "cancelled":
            raise ReturnNotAllowed(order_id=order.order_id, reason="cancelled")
        if order.status != "delivered" or order.delivered_at is None:
            raise ReturnNotAllowed(order_id=order.order_id, reason="not_delivered")
        line = match_order_item(order, item_text)
        existing = await self._store.get_return(order.order_id, line.sku)
        if existing is None:
            window = line.return_window_days or self._window_default
            if (self._today() - order.delivered_at).days > window:
                raise ReturnNotAllowed(
                    order_id=order.order_id, reason="outside_window", window_days=window
                )
            existing, created = await self._store.create_return(
                order_id=order.order_id, sku=line.sku, reason=reason_text, now=self._clock()
            )
            if created:
                logger.info("return created", extra={"order_id": order.order_id, "sku": line.sku})
                return (
                    f"I've started a return for the {line.product_name} from order "
                    f"{order.order_id}; your return number is {existing.return_id}. The refund "
                    "goes to the original payment method once we receive the item."
                )
        started = speech.when(existing.created_at.date(), today=self._today())
        return (
            f"A return for the {line.product_name} from order {order.order_id} was already "
            f"started {started}; the return number is {existing.return_id}, and it is "
            f"{speech.RETURN_STATUS_PHRASES[existing.status]}."
        )

    async def product_info(self, query: str) -> str:
        """Price, availability and a short description of the best one to three matches."""
        products = await self._store.search_products(clean_text(query, what="product name"))
        if not products:
            return "I couldn't find a product matching that; could you describe it another way?"
        sentences = []
        for p in products[:3]:
            stock = "in stock" if p.stock > 5 else f"in stock, with only {p.stock} left"
            availability = stock if p.available else "currently out of stock"
            sentences.append(
                f"The {p.name} costs {speech.money(p.price_cents)} and is {availability}. "
                f"{p.description.rstrip('.')}."
            )
        return " ".join(sentences)

    async def open_orders_summary(self, customer_id: int) -> str:
        """One short paragraph about a phone-verified caller for the model's context."""
        customer = await self._store.get_customer(parse_customer_id(customer_id))
        if customer is None:
            raise CustomerNotFound()
        orders = await self._store.orders_for_customer(customer.id, limit=10)
        today = self._today()
        open_orders = [o for o in orders if o.status in OPEN_STATUSES]
        if not open_orders:
            if not orders:
                return f"The caller is {customer.name}, who has no orders on file."
            last = orders[0]
            return (
                f"The caller is {customer.name}, who has no open orders; the most recent is "
                f"{last.order_id}, which {speech.STATUS_PHRASES[last.status]}."
            )
        parts = []
        for o in open_orders[:MAX_LISTED_ORDERS]:
            text = f"{o.order_id} {speech.STATUS_PHRASES[o.status]}"
            if o.estimated_delivery is not None and o.status != "processing":
                text += f" and is expected {speech.when(o.estimated_delivery, today=today)}"
            parts.append(text)
        count = "one open order" if len(parts) == 1 else f"{len(parts)} open orders"
        return f"The caller is {customer.name}, who has {count}: {speech.join_words(parts)}."

    # -- helpers ----------------------------------------------------------------------------

    def _today(self) -> date:
        return self._clock().date()

    async def _order(self, order_id_text: str) -> Order:
        return await self._order_by_id(
            normalize_order_id(clean_text(order_id_text, what="order number"))
        )

    async def _order_by_id(self, order_id: str) -> Order:
        order = await self._store.get_order(order_id)
        if order is None:
            raise OrderNotFound(order_id=order_id)
        return order


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
