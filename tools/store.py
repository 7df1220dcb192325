"""The order store interface the support desk depends on; backends live in their own modules."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from tools.audit import AttemptLimit, Disclosure, RecordedAttempt, VerificationAttempt
from tools.models import Customer, Order, Product, ReturnRequest


class OrderStore(Protocol):
    """Async access to orders, customers, returns and products.

    Every database, driver or OS failure is raised as ``StoreUnavailable``; the store
    reconnects by itself once the database is back.
    """

    async def get_order(self, order_id: str) -> Order | None: ...

    async def get_customer(self, customer_id: int) -> Customer | None: ...

    async def find_customer_by_email(self, email: str) -> Customer | None:
        """Case-insensitive match on the whole address."""
        ...

    async def find_customer_by_phone(self, phone_e164: str) -> Customer | None: ...

    async def orders_for_customer(self, customer_id: int, *, limit: int = 10) -> list[Order]:
        """Newest first."""
        ...

    async def create_return(
        self, *, order_id: str, sku: str, reason: str, now: datetime
    ) -> tuple[ReturnRequest, bool]:
        """Create the return for (order_id, sku), or return the existing one and False.

        Raises OrderNotFound when the order does not exist.
        """
        ...

    async def get_return(self, order_id: str, sku: str) -> ReturnRequest | None: ...

    async def search_products(self, query: str, *, limit: int = 3) -> list[Product]:
        """Best matches on name, keyword or category, best first."""
        ...

    async def record_verification(
        self, attempt: VerificationAttempt, *, limit: AttemptLimit
    ) -> RecordedAttempt:
        """Record a verification attempt (tools/audit.py); returns the outcome recorded.

        A success or failure is recorded, and returned, as "locked" once the customer or the
        calling number has `limit.max_failures` failures within `limit.window` before
        `attempt.at`. Counting and recording are one step for every connection and process, so
        attempts made at the same moment all count.
        """
        ...

    async def record_disclosure(self, disclosure: Disclosure) -> None:
        """Record that personal fields were read to a caller."""
        ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...
