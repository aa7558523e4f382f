"""Orders' writes. Each runs in one transaction with the messages it emits."""

from uuid import UUID

from django.db import transaction

import messaging
from orders.contracts import OrderPaid
from orders.models import Order


class OrderStateError(Exception):
    """The order is not in a state that allows this change."""


@transaction.atomic
def order_place(*, customer_name: str, vendor_ids: list[int]) -> Order:
    if not vendor_ids:
        raise ValueError("an order needs at least one vendor")
    return Order.objects.create(customer_name=customer_name, vendor_ids=sorted(set(vendor_ids)))


@transaction.atomic
def order_pay(*, order_id: UUID) -> Order:
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status != Order.Status.PLACED:
        raise OrderStateError(f"order {order.pk} is {order.status}; only a placed order can be paid")
    order.status = Order.Status.PAID
    order.save(update_fields=["status", "updated_at"])
    messaging.publish(OrderPaid(order_id=order.pk, vendor_ids=order.vendor_ids))
    return order


@transaction.atomic
def order_cancel(*, order_id: UUID, reason: str) -> Order:
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status == Order.Status.CANCELLED:
        return order  # cancelling twice is harmless: handlers may be re-run
    order.status, order.cancel_reason = Order.Status.CANCELLED, reason
    order.save(update_fields=["status", "cancel_reason", "updated_at"])
    return order


@transaction.atomic
def order_record_vendor_notified(*, order_id: UUID, vendor_id: int) -> Order:
    order = Order.objects.select_for_update().get(pk=order_id)
    if vendor_id not in order.notified_vendor_ids:
        order.notified_vendor_ids = sorted([*order.notified_vendor_ids, vendor_id])
        order.save(update_fields=["notified_vendor_ids", "updated_at"])
    return order
