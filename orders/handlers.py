"""Orders' handlers: thin, load by id and call a service."""

from messaging import handler
from orders import services
from orders.contracts import CancelOrder
from vendors.contracts import VendorNotified


@handler(CancelOrder)
def cancel_order(command: CancelOrder) -> None:
    services.order_cancel(order_id=command.order_id, reason=command.reason)


@handler(VendorNotified)
def record_vendor_notified(event: VendorNotified) -> None:
    services.order_record_vendor_notified(order_id=event.order_id, vendor_id=event.vendor_id)
