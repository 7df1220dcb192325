"""Acme's support policies as short spoken answers: status, lookup, verification, returns."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime

from tools import speech
from tools.audit import ORDER_DETAIL_FIELDS, AttemptLimit
from tools.errors import (
    CustomerNotFound,
    NotVerified,
    OrderNotFound,
    ReturnNotAllowed,
    VerificationLocked,
)
from tools.inputs import clean_text, parse_email
from tools.models import Order
from tools.search import match_order_item
from tools.store import OrderStore
from tools.verification import CallerVerification, KnownCaller
from tools.verifier import Verifier, given

__all__ = ["CallerVerification", "SupportDesk"]

security_log = logging.getLogger("acme.security")
logger = logging.getLogger("acme.tools.support")
MAX_LISTED_ORDERS = 5
LIST_ORDERS_NEEDS_VERIFICATION = (
    "To look up your orders, I first need to verify you: could you tell me the email address "
    "and ZIP code on your account?"
)
RETURN_NEEDS_VERIFICATION = (
    "To start a return, I first need to verify you: could you tell me the email address or ZIP "
    "code on the order?"
)
NOT_YOUR_ORDER = (
    "That order isn't on the account you're verified for, so I can't change it or share its "
    "details; its status I can give you."
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SupportDesk:
    """Business answers for one store; every failure is a SupportError with a spoken message.

    Methods that act on a caller's words take the call's CallerVerification: who the caller
    proved to be, and the order numbers read back to them.
    """

    def __init__(
        self,
        *,
        store: OrderStore,
        clock: Callable[[], datetime] = _utc_now,
        return_window_days_default: int = 30,
        returns_need_verification: bool = True,
        attempt_limit: AttemptLimit | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._window_default = return_window_days_default
        self._returns_need_verification = returns_need_verification
        self.verifier = Verifier(store=store, clock=clock, limit=attempt_limit or AttemptLimit())

    async def order_status(
        self, call: CallerVerification, order_id_text: str, *, confirmed: bool = False
    ) -> str:
        """Status, items, carrier, tracking and dates: anyone with the order number may hear it."""
        order = await self._order(call, order_id_text, confirmed=confirmed)
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

    async def verify_caller(
        self,
        call: CallerVerification,
        *,
        order_id_text: str | None = None,
        email: str | None = None,
        zip_code: str | None = None,
        confirmed: bool = False,
    ) -> str:
        """Verify the caller with two matching details (tools/verifier.py); greet them by name.

        A caller recognized by their number also hears their open orders, from what was fetched
        before the greeting.
        """
        customer, order_id = await self.verifier.verify(
            call, order_id_text=order_id_text, email=email, zip_code=zip_code, confirmed=confirmed
        )
        await self.verifier.disclose(call, customer.id, ("name",), order_id=order_id)
        name = speech.first_name(customer.name)
        text = f"Thank you, {name}; you're verified"
        text += f" for order {order_id}." if order_id else "."
        open_orders = self.verifier.open_orders(call)
        if open_orders:
            call.revealed.update(o.order_id for o in open_orders)
            text += f" Your {speech.open_orders(open_orders, today=self._today())}."
        return text

    async def find_orders(
        self, call: CallerVerification, *, email: str | None = None, zip_code: str | None = None
    ) -> str:
        """Order numbers and statuses of the verified caller's account, newest first.

        An unverified caller is verified first with what they gave (email and ZIP code).
        """
        email, zip_code = given(email), given(zip_code)
        if not call.verified:
            if email is None and zip_code is None:
                raise NotVerified(LIST_ORDERS_NEEDS_VERIFICATION)
            await self.verify_caller(call, email=email, zip_code=zip_code)
        elif email is not None:
            customer = await self._store.find_customer_by_email(parse_email(email))
            if customer is None or not call.verified_for(customer.id):
                raise NotVerified(LIST_ORDERS_NEEDS_VERIFICATION)
        assert call.customer_id is not None
        security_log.info("orders listed", extra={"method": call.method})
        limit = MAX_LISTED_ORDERS + 1
        orders = await self._store.orders_for_customer(call.customer_id, limit=limit)
        if not orders:
            return "I don't see any orders on that account yet."
        shown = orders[:MAX_LISTED_ORDERS]
        call.revealed.update(o.order_id for o in shown)
        phrases = speech.join_words(
            [f"{o.order_id} {speech.STATUS_PHRASES[o.status]}" for o in shown]
        )
        if len(orders) > MAX_LISTED_ORDERS:
            return f"The {len(shown)} most recent orders on that account: {phrases}."
        count = "one order" if len(shown) == 1 else f"{len(shown)} orders"
        return f"I found {count} on that account: {phrases}."

    async def order_details(
        self, call: CallerVerification, order_id_text: str, *, confirmed: bool = False
    ) -> str:
        """Shipping address, email, phone and card last four, only for the verified owner.

        Each answer is recorded in the audit trail first; if it cannot be, nothing is read.
        """
        order = await self._order(call, order_id_text, confirmed=confirmed)
        if not call.verified_for(order.customer_id):
            security_log.warning(
                "personal details requested without verification",
                extra={"order_id": order.order_id, "verified": call.verified},
            )
            raise self._refusal(call)
        customer = await self._store.get_customer(order.customer_id)
        if customer is None:
            raise CustomerNotFound()
        await self.verifier.disclose(
            call, customer.id, ORDER_DETAIL_FIELDS, order_id=order.order_id
        )
        return (
            f"Order {order.order_id} ships to {order.shipping_address}. The email on file is "
            f"{customer.email}, the phone number is {speech.spoken_phone(customer.phone)}, and "
            f"it was paid with the card ending in {order.payment_last4}."
        )

    async def start_return(
        self,
        call: CallerVerification,
        *,
        order_id_text: str,
        item: str,
        reason: str,
        confirmed: bool = False,
    ) -> str:
        """Open a return (RMA) for one delivered item inside its window; asking twice is safe.

        Only ever on an order of the verified customer; unverified callers too when returns do
        not need verification (the operator's choice).
        """
        item_text = clean_text(item, what="item name")
        reason_text = clean_text(reason, what="return reason")
        order = await self._order(call, order_id_text, confirmed=confirmed)
        if call.verified and not call.verified_for(order.customer_id):
            raise NotVerified(NOT_YOUR_ORDER)
        if self._returns_need_verification and not call.verified:
            raise (
                VerificationLocked(offer_transfer=call.offer_transfer)
                if call.locked
                else (NotVerified(RETURN_NEEDS_VERIFICATION))
            )
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

    async def identify_caller(self, call: CallerVerification, phone: str) -> KnownCaller | None:
        """The account a phone caller's number matches, with its orders; proves nothing."""
        return await self.verifier.identify_caller(call, phone)

    async def trust_caller_id(self, call: CallerVerification) -> str | None:
        """Verify an identified caller by caller ID alone; returns the model's context about them
        (name and open orders), recorded as a disclosure, or None when not verified."""
        if call.known is None or not await self.verifier.trust_caller_id(call):
            return None
        customer = call.known.customer
        await self.verifier.disclose(call, customer.id, ("name",))
        open_orders = self.verifier.open_orders(call)
        call.revealed.update(o.order_id for o in open_orders)
        if open_orders:
            summary = speech.open_orders(open_orders, today=self._today())
            return f"The caller is {customer.name}, who has {summary}."
        if not call.known.orders:
            return f"The caller is {customer.name}, who has no orders on file."
        last = call.known.orders[0]
        call.revealed.add(last.order_id)
        return (
            f"The caller is {customer.name}, who has no open orders; the most recent is "
            f"{last.order_id}, which {speech.STATUS_PHRASES[last.status]}."
        )

    # -- helpers ----------------------------------------------------------------------------

    def _today(self) -> date:
        return self._clock().date()

    async def _order(self, call: CallerVerification, text: str, *, confirmed: bool) -> Order:
        order_id = self.verifier.heard_order_id(call, text, confirmed=confirmed)
        order = await self._store.get_order(order_id)
        if order is None:
            raise OrderNotFound(order_id=order_id)
        return order

    @staticmethod
    def _refusal(call: CallerVerification) -> Exception:
        if call.locked:
            return VerificationLocked(offer_transfer=call.offer_transfer)
        if call.verified:
            return NotVerified(NOT_YOUR_ORDER)
        return NotVerified()
