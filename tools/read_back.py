"""Read back an order number rebuilt from speech before saying anything about the order."""

from __future__ import annotations

from dataclasses import dataclass, field

from tools.errors import ReadBackNeeded
from tools.order_ids import HeardOrderId


@dataclass(kw_only=True)
class ReadBack:
    """One per call: the number awaiting the caller's yes, and the numbers they confirmed."""

    pending: str | None = None
    confirmed: set[str] = field(default_factory=set)

    def order_id(self, heard: HeardOrderId, *, confirmed: bool) -> str:
        """The order number to act on, or ReadBackNeeded ("Just to be sure... is it ACME-1042?").

        A number said plainly, or confirmed earlier in the call, passes. A rebuilt one passes
        only once it was read back and the caller said yes (`confirmed`); `confirmed` for a
        number that was never read back reads it back first.
        """
        order_id = heard.order_id
        if heard.plain or order_id in self.confirmed:
            return order_id
        if confirmed and self.pending == order_id:
            self.confirmed.add(order_id)
            self.pending = None
            return order_id
        self.pending = order_id
        raise ReadBackNeeded(order_id=order_id)
