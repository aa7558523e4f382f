"""The payment gateway: the outside world, simulated with the test cards of well-known providers.

    4242 4242 4242 4242   always succeeds
    4000 0000 0000 0002   is declined
    4000 0000 0000 0119   fails transiently ("processing error, try again")

Any other number is declined as an unknown test card. Spaces are allowed.
A real provider's client would replace this module, keeping ``charge`` and ``refund``.

A charge carries an idempotency key, as real providers take one: the same key
charges once and answers the same result again, so a payment transaction that
is run again (after losing a deadlock) does not charge the card twice.
"""

import hashlib
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000002"
PROCESSING_ERROR = "4000000000000119"
TEST_CARDS = {
    SUCCEEDS: "always succeeds",
    DECLINED: "is declined",
    PROCESSING_ERROR: "fails transiently: try again",
}

ChargeStatus = Literal["succeeded", "declined", "failed"]


@dataclass(frozen=True)
class ChargeResult:
    status: ChargeStatus
    reference: str
    message: str


def normalise(card_number: str) -> str:
    """The digits of a card number as typed ("4242 4242 ..." is fine)."""
    return "".join(str(card_number).split())


def charge(card_number: str, amount: Decimal, *, idempotency_key: str) -> ChargeResult:
    """Charge ``amount`` to the card, once per ``idempotency_key``; never raises for a refused card."""
    if amount <= 0:
        raise ValueError(f"cannot charge {amount}: the amount must be positive")
    reference = "ch_" + hashlib.sha256(f"{idempotency_key}:{card_number}:{amount}".encode()).hexdigest()[:24]
    number = normalise(card_number)
    if number == SUCCEEDS:
        return ChargeResult("succeeded", reference, f"charged {amount}")
    if number == DECLINED:
        return ChargeResult("declined", reference, "declined: your card was declined")
    if number == PROCESSING_ERROR:
        return ChargeResult("failed", reference, "processing error, try again")
    return ChargeResult("declined", reference, "declined: unknown test card")


def refund(reference: str) -> str:
    """Refund a successful charge in full; returns the refund's own reference."""
    if not reference.startswith("ch_"):
        raise ValueError(f"{reference!r} is not a charge reference")
    return f"re_{uuid.uuid4().hex[:24]}"
