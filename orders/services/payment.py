"""Paying an order: charge the card once, then tell Vendors in the style the store uses now.

The order row is locked for the whole payment, so a double submit waits for the first
and then finds the order paid: one charge, one OrderPaid. A refused charge is recorded
and the order stays placed, for the customer to try again.
"""

from uuid import UUID

from django.utils import timezone

import messaging
from orders import payment_gateway
from orders.contracts import CheckVendorResponses, OrderPaid, PaidLine
from orders.models import Order, OrderLine, OrderVendor, Payment
from orders.services.lifecycle import OrderStateError, transition
from orders.services.settings import store_settings
from vendors.contracts import Line, NotifyVendor

NOTIFY_VENDOR_REPLY = "orders.notify_vendor_outcome"  # the reply handler's name (orders/handlers.py)

__all__ = ["NOTIFY_VENDOR_REPLY", "OrderStateError", "order_pay"]


@messaging.atomic_retried
def order_pay(
    *, order_id: UUID, card_number: str, style: str | None = None, vendor_timeout_seconds: int | None = None
) -> Payment:
    """Charge the order's total; returns the Payment, whatever its status.

    ``style`` tells Vendors of this order in that style instead of the store's (``simulate_orders --style``),
    and ``vendor_timeout_seconds`` gives its vendors that long to accept instead of the store's (the trade-off
    lab), each leaving the store's setting, which every other customer's order follows, alone.
    """
    _check_timeout(vendor_timeout_seconds)
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status == Order.Status.CANCELLED:
        raise OrderStateError("This order was cancelled: it cannot be paid.")
    if order.status != Order.Status.PLACED:
        raise OrderStateError("This order is already paid.")
    # One key per payment of this order: a retried transaction charges once, a second card is a new charge.
    key = f"order {order.pk} payment {order.payments.count() + 1}"
    charge = payment_gateway.charge(card_number, order.total, idempotency_key=key)
    payment = Payment.objects.create(
        order=order,
        amount=order.total,
        card_last4="".join(filter(str.isdigit, payment_gateway.normalise(card_number)))[-4:],
        status=charge.status,
        reference=charge.reference,
        message=charge.message,
    )
    if payment.status == Payment.Status.SUCCEEDED:
        _order_paid(order, style=style, vendor_timeout_seconds=vendor_timeout_seconds)
    return payment


def _check_timeout(seconds: int | None) -> None:
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 1):
        raise ValueError(f"vendor_timeout_seconds must be a whole number of seconds, 1 or more (not {seconds!r})")


def _order_paid(order: Order, *, style: str | None, vendor_timeout_seconds: int | None) -> None:
    settings = store_settings()
    style = style or settings.style
    transition(order, Order.Status.PAID, cause="order_pay", paid_at=timezone.now(), style=style)
    lines = list(order.lines.order_by("vendor_id", "product_id"))
    vendors = _order_vendors(order, lines)
    with messaging.correlated(order.pk):
        messaging.publish(
            OrderPaid(
                order_id=order.pk,
                total=order.total,
                customer_email=order.customer_email,
                style=order.style,
                lines=[
                    PaidLine(vendor_id=li.vendor_id, product_id=li.product_id, quantity=li.quantity) for li in lines
                ],
            )
        )
        if order.style == "command":
            for vendor in vendors:
                vendor_lines = [
                    Line(product_id=li.product_id, quantity=li.quantity)
                    for li in lines
                    if li.vendor_id == vendor.vendor_id
                ]
                vendor.command_id = messaging.send(
                    NotifyVendor(order_id=order.pk, vendor_id=vendor.vendor_id, lines=vendor_lines),
                    reply_to=NOTIFY_VENDOR_REPLY,
                )
                vendor.save(update_fields=["command_id", "updated_at"])
        timeout = vendor_timeout_seconds or settings.vendor_timeout_seconds
        messaging.send(CheckVendorResponses(order_id=order.pk), delay=timeout)


def _order_vendors(order: Order, lines: list[OrderLine]) -> list[OrderVendor]:
    """One row per vendor in the order, waiting to hear from it."""
    names = {line.vendor_id: line.vendor_name for line in lines}
    return OrderVendor.objects.bulk_create(
        [OrderVendor(order=order, vendor_id=vendor_id, vendor_name=name) for vendor_id, name in names.items()]
    )
