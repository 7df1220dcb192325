"""Per-call record of who the caller proved to be, and how many tries they have left."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(kw_only=True)
class CallerVerification:
    """One per call, mutated by the support desk."""

    customer_id: int | None = None
    method: str | None = None  # "email" | "zip" | "phone"
    failed_attempts: int = 0
    max_attempts: int = 3

    @property
    def locked(self) -> bool:
        """True once the caller used up their attempts; stays true for the rest of the call."""
        return self.failed_attempts >= self.max_attempts

    @property
    def verified(self) -> bool:
        return self.customer_id is not None

    def verified_for(self, customer_id: int) -> bool:
        return self.customer_id is not None and self.customer_id == customer_id
