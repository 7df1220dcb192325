"""Per-call record of who the caller proved to be, how, and what the agent told them first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from tools.models import Customer, Order
from tools.read_back import ReadBack

# What a caller can offer as proof. "caller_id" is the calling number matching the account:
# it identifies the caller, and counts as one factor, never as proof by itself (unless the
# operator trusts caller ID, README "Security").
Factor = Literal["order", "email", "zip", "caller_id"]
ANSWERS: frozenset[Factor] = frozenset({"email", "zip"})


def method_name(factors: Iterable[str]) -> str:
    """The factors as the audit trail names them: "email+order", "caller_id+zip"."""
    return "+".join(sorted(factors)) or "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownCaller:
    """The account a phone caller's number matches, and its recent orders, fetched before the
    greeting so a verified caller's "where's my order?" needs no lookup. Not proof of anything."""

    customer: Customer
    orders: tuple[Order, ...]


@dataclass(kw_only=True)
class CallerVerification:
    """One per call, mutated by the support desk."""

    call_id: str = ""
    calling_number: str | None = None  # E.164 caller ID on a phone call
    offer_transfer: bool = False  # a person can take over this call (phone, transfer configured)
    known: KnownCaller | None = None  # the account the calling number matches
    customer_id: int | None = None
    method: str | None = None  # how they proved it, e.g. "order+zip"; "caller_id" when trusted
    failed_attempts: int = 0
    max_attempts: int = 3
    revealed: set[str] = field(default_factory=set)  # order numbers the agent said first
    read_back: ReadBack = field(default_factory=ReadBack)

    @property
    def locked(self) -> bool:
        """True once the caller used up this call's attempts; stays true for the rest of it."""
        return self.failed_attempts >= self.max_attempts

    @property
    def verified(self) -> bool:
        return self.customer_id is not None

    def verified_for(self, customer_id: int) -> bool:
        return self.customer_id is not None and self.customer_id == customer_id
