"""Vendors' public messages: what it publishes and the commands it accepts."""

from uuid import UUID

from messaging import Command, Event


class NotifyVendor(Command):
    order_id: UUID
    vendor_id: int


class VendorNotified(Event):
    order_id: UUID
    vendor_id: int
