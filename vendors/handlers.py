"""Vendors' handlers: thin, they call a service.

However Orders tells a vendor about a paid order (the ``OrderPaid`` event in
event style, the ``NotifyVendor`` command in command style, or both when the
style is switched mid-flow), ``vendor_notify`` makes one notification of it.
"""

from collections import defaultdict

from messaging import RetryPolicy, handler
from orders.contracts import OrderCancelled, OrderPaid
from vendors.contracts import NotifyVendor
from vendors.services import notifications_cancel, vendor_notify

# Patient: while Vendors is down (fault lab) a paid order waits here, retried, rather than dead-lettered.
# Waits at most 10 s between tries, so a vendor hears of it soon after Vendors is back.
PATIENT = RetryPolicy(immediate=1, delayed=8, base_delay=1.0, factor=2.0, max_delay=10.0)


@handler(OrderPaid, retry=PATIENT)
def notify_vendors_of_paid_order(event: OrderPaid) -> None:
    if event.style != "event":
        return  # command style: each vendor gets its own NotifyVendor
    lines_by_vendor = defaultdict(list)
    for line in event.lines:
        lines_by_vendor[line.vendor_id].append(line)
    for vendor_id, lines in sorted(lines_by_vendor.items()):
        vendor_notify(vendor_id=vendor_id, order_id=event.order_id, lines=lines, via="event")


@handler(NotifyVendor, retry=PATIENT)
def notify_vendor(command: NotifyVendor) -> dict:
    notification = vendor_notify(
        vendor_id=command.vendor_id, order_id=command.order_id, lines=command.lines, via="command"
    )
    return {"status": notification.status}


@handler(OrderCancelled, retry=PATIENT)
def release_cancelled_order(event: OrderCancelled) -> None:
    notifications_cancel(order_id=event.order_id, reason=event.reason)
