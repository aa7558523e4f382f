"""Vendors' writes. Each runs in one transaction with the messages it emits."""

from uuid import UUID

from django.db import transaction

import messaging
from orders.contracts import CancelOrder
from vendors.contracts import VendorNotified
from vendors.models import Vendor, VendorNotification


@transaction.atomic
def vendor_notify(*, vendor_id: int, order_id: UUID) -> VendorNotification | None:
    """Tell a vendor about a paid order, once; an unknown or inactive vendor cancels it."""
    vendor = Vendor.objects.filter(pk=vendor_id, active=True).first()
    if vendor is None:
        messaging.send(CancelOrder(order_id=order_id, reason=f"vendor {vendor_id} cannot take orders"))
        return None
    notification, created = VendorNotification.objects.get_or_create(vendor=vendor, order_id=order_id)
    if created:
        messaging.publish(VendorNotified(order_id=order_id, vendor_id=vendor.pk))
    return notification
