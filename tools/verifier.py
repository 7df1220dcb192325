"""Verify callers with two independent factors, under attempt limits the store keeps for everyone.

The rule (SECURITY.md): a caller is verified for a customer once two different factors, one of
them an answer (the email address or ZIP code on the account), match that customer. The other
factor may be the second answer, an order number the caller gave before the agent said it, or
the calling number matching the account. Nothing the agent revealed counts.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from datetime import datetime

from tools.audit import (
    AttemptLimit,
    Disclosure,
    Field,
    Outcome,
    RecordedAttempt,
    VerificationAttempt,
)
from tools.errors import (
    AmbiguousOrderId,
    InvalidInput,
    InvalidOrderId,
    NeedAnotherFactor,
    OrderNotFound,
    VerificationFailed,
    VerificationLocked,
)
from tools.inputs import clean_text, parse_email, parse_phone, parse_zip
from tools.models import OPEN_STATUSES, Customer, Order
from tools.order_ids import hear_order_id
from tools.store import OrderStore
from tools.verification import ANSWERS, CallerVerification, KnownCaller, method_name

security_log = logging.getLogger("acme.security")
KNOWN_CALLER_ORDERS = 10


class Verifier:
    """The verification half of the support desk; one per call's desk."""

    def __init__(
        self, *, store: OrderStore, clock: Callable[[], datetime], limit: AttemptLimit
    ) -> None:
        self._store = store
        self._clock = clock
        self._limit = limit

    def heard_order_id(
        self, call: CallerVerification, text: object, *, confirmed: bool = False
    ) -> str:
        """The order number in the caller's words, once read back if it was rebuilt from speech."""
        heard = hear_order_id(clean_text(text, what="order number"))
        return call.read_back.order_id(heard, confirmed=confirmed)

    async def verify(
        self,
        call: CallerVerification,
        *,
        order_id_text: str | None = None,
        email: str | None = None,
        zip_code: str | None = None,
        confirmed: bool = False,
    ) -> tuple[Customer, str | None]:
        """Verify the caller; returns the customer and the order they named, or raises.

        Unusable answers, unknown orders and a single factor are recorded as "rejected" and do
        not count as tries; mismatches count against the customer, the calling number and the
        call. Locked: VerificationLocked, even for the right answers.
        """
        order_id_text, email, zip_code = given(order_id_text), given(email), given(zip_code)
        try:
            order_id = None
            if order_id_text is not None:
                order_id = self.heard_order_id(call, order_id_text, confirmed=confirmed)
            if order_id is None and email is None and zip_code is None:
                raise InvalidInput(what="email address or ZIP code")
            given_email = parse_email(email) if email is not None else None
            given_zip = parse_zip(zip_code) if zip_code is not None else None
            order = await self._order(order_id) if order_id is not None else None
        except (InvalidInput, InvalidOrderId, AmbiguousOrderId, OrderNotFound) as exc:
            await self._reject(call, type(exc).__name__, order_id=None)
            raise
        factors: set[str] = {n for n, v in (("email", given_email), ("zip", given_zip)) if v}
        if order is not None and order.order_id not in call.revealed:
            factors.add("order")
        known = call.known
        if known is not None and (order is None or order.customer_id == known.customer.id):
            factors.add("caller_id")
        if call.locked:
            target = await self._target(call, order, given_email)
            await self._record(
                call, "locked", method_name(factors), order_id=order_id,
                customer_id=target.id if target is not None else None,
            )  # fmt: skip
            security_log.warning("verification attempted while locked", extra=self._fields(call))
            raise VerificationLocked(offer_transfer=call.offer_transfer)
        # Decided from what was given, never from what matches: no free guesses, no oracle.
        if len(factors) < 2 or not factors & ANSWERS:
            await self._reject(call, "OneFactor", order_id=order_id, method=method_name(factors))
            raise NeedAnotherFactor(ask_for=_ask_for(factors))
        customer = await self._target(call, order, given_email)
        matched = customer is not None and _answers_match(customer, given_email, given_zip)
        method = method_name(factors)
        customer_id = customer.id if customer is not None else None
        outcome: Outcome = "success" if matched else "failed"
        recorded = await self._record(
            call, outcome, method, order_id=order_id, customer_id=customer_id
        )
        if recorded.outcome == "success" and customer is not None:
            call.customer_id, call.method = customer.id, method
            security_log.info("caller verified", extra={"order_id": order_id, "method": method})
            return customer, order_id
        fields = {**self._fields(call), "order_id": order_id, "method": method}
        if recorded.outcome == "failed":
            call.failed_attempts += 1
            fields["attempts"] = call.failed_attempts
            security_log.warning("caller verification failed", extra=fields)
            left = min(
                call.max_attempts - call.failed_attempts,
                self._limit.max_failures - recorded.failures,
            )
            if left > 0:
                raise VerificationFailed(attempts_left=left)
        security_log.warning("caller verification locked", extra=fields)
        raise VerificationLocked(offer_transfer=call.offer_transfer)

    async def identify_caller(self, call: CallerVerification, phone: str) -> KnownCaller | None:
        """Match the calling number to an account and fetch its recent orders. Proves nothing."""
        try:
            number = parse_phone(phone)
        except InvalidInput:
            return None
        call.calling_number = number
        customer = await self._store.find_customer_by_phone(number)
        if customer is None:
            return None
        orders = await self._store.orders_for_customer(customer.id, limit=KNOWN_CALLER_ORDERS)
        call.known = KnownCaller(customer=customer, orders=tuple(orders))
        return call.known

    async def trust_caller_id(self, call: CallerVerification) -> bool:
        """Verify an identified caller by caller ID alone (the operator's choice); recorded."""
        if call.known is None or call.locked:
            return False
        customer = call.known.customer
        recorded = await self._record(call, "success", "caller_id", customer_id=customer.id)
        if recorded.outcome != "success":
            security_log.warning("caller verification locked", extra=self._fields(call))
            return False
        call.customer_id, call.method = customer.id, "caller_id"
        security_log.info("caller verified", extra={"method": "caller_id"})
        return True

    async def disclose(
        self,
        call: CallerVerification,
        customer_id: int,
        fields: tuple[Field, ...],
        *,
        order_id: str | None = None,
    ) -> None:
        """Record that `fields` are about to be read to the caller; raises if it cannot be."""
        disclosure = Disclosure(
            at=self._clock(), call_id=call.call_id, customer_id=customer_id, fields=fields,
            method=call.method or "none", order_id=order_id,
        )  # fmt: skip
        await self._store.record_disclosure(disclosure)

    def open_orders(self, call: CallerVerification) -> list[Order]:
        """The identified caller's open orders, from before the greeting (no lookup)."""
        if call.known is None or not call.verified_for(call.known.customer.id):
            return []
        return [o for o in call.known.orders if o.status in OPEN_STATUSES]

    # -- helpers ----------------------------------------------------------------------------

    async def _order(self, order_id: str) -> Order:
        order = await self._store.get_order(order_id)
        if order is None:
            raise OrderNotFound(order_id=order_id)
        return order

    async def _target(
        self, call: CallerVerification, order: Order | None, email: str | None
    ) -> Customer | None:
        """Whom the caller claims to be: the order's customer, else the calling number's, else
        the email's."""
        known = call.known.customer if call.known is not None else None
        if order is not None:
            if known is not None and known.id == order.customer_id:
                return known
            return await self._store.get_customer(order.customer_id)
        if known is not None:
            return known
        return await self._store.find_customer_by_email(email) if email is not None else None

    async def _reject(
        self, call: CallerVerification, reason: str, *, order_id: str | None, method: str = "none"
    ) -> None:
        await self._record(call, "rejected", method, order_id=order_id)
        security_log.warning(
            "caller verification rejected", extra={"order_id": order_id, "reason": reason}
        )

    async def _record(
        self,
        call: CallerVerification,
        outcome: Outcome,
        method: str,
        *,
        order_id: str | None = None,
        customer_id: int | None = None,
    ) -> RecordedAttempt:
        attempt = VerificationAttempt(
            at=self._clock(), call_id=call.call_id, outcome=outcome, method=method,
            customer_id=customer_id, order_id=order_id, calling_number=call.calling_number,
        )  # fmt: skip
        return await self._store.record_verification(attempt, limit=self._limit)

    @staticmethod
    def _fields(call: CallerVerification) -> dict[str, object]:
        return {"attempts": call.failed_attempts}


def given(value: str | None) -> str | None:
    """Blank arguments are not answers (models send "" for what the caller did not say)."""
    return None if isinstance(value, str) and not value.strip() else value


def _answers_match(customer: Customer, email: str | None, zip_code: str | None) -> bool:
    matched = True
    if email is not None:
        matched = _same(email, customer.email.strip().lower()) and matched
    if zip_code is not None:
        matched = _same(zip_code, customer.zip_code.strip()[:5]) and matched
    return matched


def _ask_for(factors: set[str]) -> str:
    if "email" in factors:
        return "the ZIP code on your account"
    if "zip" in factors:
        return "the email address on your account, or your order number"
    return "the email address or ZIP code on your account"


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
