"""Business errors whose text is one polite sentence a voice agent can say as is."""

from __future__ import annotations

from typing import Literal

ReturnRefusal = Literal["not_delivered", "outside_window", "cancelled"]


class SupportError(Exception):
    """Base class: ``str(err)`` is a single spoken sentence, safe to read to the caller."""

    default_message = "Sorry, something went wrong with that request."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)

    @property
    def message(self) -> str:
        return str(self.args[0])


class InvalidOrderId(SupportError):
    default_message = (
        "Sorry, I didn't catch a valid order number; Acme order numbers are the word ACME "
        "followed by four to seven digits, like ACME-1042."
    )


class AmbiguousOrderId(SupportError):
    def __init__(self, *, candidates: tuple[str, ...]) -> None:
        self.candidates = candidates
        shown = " or ".join(candidates[:3])
        super().__init__(f"I heard more than one order number, {shown}; which one did you mean?")


class OrderNotFound(SupportError):
    def __init__(self, *, order_id: str) -> None:
        self.order_id = order_id
        super().__init__(
            f"I couldn't find order {order_id}; could you please double-check the number?"
        )


class CustomerNotFound(SupportError):
    default_message = "I couldn't find an Acme account with those details."


class ItemNotInOrder(SupportError):
    def __init__(self, *, order_id: str) -> None:
        self.order_id = order_id
        super().__init__(
            f"I couldn't find that item in order {order_id}; could you tell me the product name?"
        )


class AmbiguousItem(SupportError):
    def __init__(self, *, order_id: str, names: tuple[str, ...]) -> None:
        self.order_id = order_id
        self.names = names
        shown = " or the ".join(names[:3])
        super().__init__(f"Order {order_id} has more than one match; did you mean the {shown}?")


class ReturnNotAllowed(SupportError):
    def __init__(
        self, *, order_id: str, reason: ReturnRefusal, window_days: int | None = None
    ) -> None:
        self.order_id = order_id
        self.reason = reason
        self.window_days = window_days
        match reason:
            case "not_delivered":
                text = f"Order {order_id} can't be returned yet because it hasn't been delivered."
            case "outside_window":
                text = (
                    f"Order {order_id} can't be returned because it was delivered more than "
                    f"{window_days} days ago, which is outside the return window."
                )
            case "cancelled":
                text = f"Order {order_id} was cancelled, so there is nothing to return."
        super().__init__(text)


class NotVerified(SupportError):
    default_message = (
        "For your privacy, I need to verify your identity before I can share those details; "
        "could you tell me the email address or ZIP code on the order?"
    )


class ReadBackNeeded(SupportError):
    """The order number was rebuilt from speech: the caller confirms it before anything else."""

    def __init__(self, *, order_id: str) -> None:
        self.order_id = order_id
        super().__init__(f"Just to be sure I have the right order: is it {order_id}?")


class NeedAnotherFactor(SupportError):
    """One detail proves nothing: verification takes two that match the same account."""

    def __init__(self, *, ask_for: str) -> None:
        self.ask_for = ask_for
        super().__init__(f"For your security, I need one more detail to verify you: {ask_for}.")


class VerificationFailed(SupportError):
    def __init__(self, *, attempts_left: int) -> None:
        self.attempts_left = attempts_left
        tries = "one more try" if attempts_left == 1 else f"{attempts_left} more tries"
        super().__init__(f"Sorry, that doesn't match our records for this order; you have {tries}.")


class VerificationLocked(SupportError):
    default_message = (
        "For your security, I can't verify your identity right now after too many attempts, "
        "but I can still help with order status and product questions."
    )
    with_transfer = (
        "For your security, I can't verify your identity right now after too many attempts. "
        "I can transfer you to a member of our support team, or keep helping with order status "
        "and product questions."
    )

    def __init__(self, *, offer_transfer: bool = False) -> None:
        super().__init__(self.with_transfer if offer_transfer else None)


class StoreUnavailable(SupportError):
    default_message = (
        "I'm having trouble reaching our order system right now; please try again in a moment."
    )


class InvalidInput(SupportError):
    def __init__(self, *, what: str) -> None:
        self.what = what
        super().__init__(f"Sorry, I didn't get a valid {what}; could you say it again?")
