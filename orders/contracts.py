"""Orders' public messages: what it publishes and the commands it accepts."""

from uuid import UUID

from pydantic import Field

from messaging import Command, Event


class OrderPaid(Event):
    order_id: UUID
    vendor_ids: list[int] = Field(min_length=1)


class CancelOrder(Command):
    order_id: UUID
    reason: str = Field(min_length=1, max_length=200)
