"""Vendors' public messages: the products it publishes, how it answers paid orders,
and the command it accepts. The only module of ``vendors`` another context may import."""

from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from messaging import Command, Event

Price = Decimal  # two decimal places, serialised as a string


class ProductListed(Event):
    """A product is on sale (also re-published to rebuild read models)."""

    product_id: int
    vendor_id: int
    vendor_name: str = Field(max_length=100)
    product_name: str = Field(max_length=100)
    price: Price = Field(gt=0, max_digits=10, decimal_places=2)
    stock: int = Field(ge=0)
    revision: int = Field(ge=1, description="Grows with every change to the product: newer wins.")
    lab: bool = Field(default=False, description="A product of the trade-off lab's vendors: not for the storefront.")


class ProductPriceChanged(Event):
    product_id: int
    price: Price = Field(gt=0, max_digits=10, decimal_places=2)
    revision: int = Field(ge=1)


class ProductStockChanged(Event):
    product_id: int
    stock: int = Field(ge=0)
    revision: int = Field(ge=1)


class Line(BaseModel):
    """A quantity of one of the vendor's products."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    product_id: int
    quantity: int = Field(gt=0, le=1000)


class NotifyVendor(Command):
    """Command style: Orders tells one vendor about a paid order. Returns the notification's status."""

    order_id: UUID
    vendor_id: int
    lines: list[Line] = Field(min_length=1)


class VendorNotified(Event):
    """The vendor recorded the paid order and reserved its stock (exactly once per order)."""

    order_id: UUID
    vendor_id: int


class StockUnavailable(Event):
    """The vendor cannot serve the order: nothing was reserved."""

    order_id: UUID
    vendor_id: int
    product_ids: list[int]


class VendorAccepted(Event):
    """Vendor staff accepted the order, with the lines reserved for it."""

    order_id: UUID
    vendor_id: int
    lines: list[Line]


class OrderPrepared(Event):
    """Vendor staff prepared the vendor's goods for the order."""

    order_id: UUID
    vendor_id: int
