"""Vendors' handlers: thin, load by id and call a service."""

from messaging import handler
from orders.contracts import OrderPaid
from vendors import services
from vendors.contracts import NotifyVendor


@handler(OrderPaid)
def notify_vendors_of_paid_order(event: OrderPaid) -> None:
    for vendor_id in event.vendor_ids:
        services.vendor_notify(vendor_id=vendor_id, order_id=event.order_id)


@handler(NotifyVendor)
def notify_vendor(command: NotifyVendor) -> dict:
    notification = services.vendor_notify(vendor_id=command.vendor_id, order_id=command.order_id)
    return {"notification_id": notification.pk if notification else None}
