"""Orders' public messages: the facts it publishes and the commands it accepts.
The only module of ``orders`` another context may import."""

from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from messaging import Command, Event

Style = Literal["event", "command"]


class PaidLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    vendor_id: int
    product_id: int
    quantity: int = Field(gt=0, le=1000)


class OrderPaid(Event):
    """A fact, published in both styles. ``style`` says how Vendors is told about it:
    "event" means this event is the notification; "command" means NotifyVendor follows."""

    order_id: UUID
    total: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    customer_email: str = Field(max_length=254)
    style: Style
    lines: list[PaidLine] = Field(min_length=1)


class OrderCancelled(Event):
    """The order will not be fulfilled (refunded if it was paid): release what was reserved."""

    order_id: UUID
    reason: str = Field(max_length=200)


class CheckVendorResponses(Command):
    """Sent by Orders to itself, delayed: cancel the order if a vendor has not accepted by then."""

    order_id: UUID
