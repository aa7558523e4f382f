import uuid

import pytest
from django.db import transaction

from messaging.models import Message
from orders.models import Order
from orders.services import (
    OrderStateError,
    order_cancel,
    order_pay,
    order_place,
    order_record_vendor_notified,
)
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def order_paid_messages():
    return Message.objects.filter(type="orders.OrderPaid")


def test_placing_an_order_keeps_each_vendor_once_in_order():
    order = order_place(customer_name="Ada", vendor_ids=[3, 1, 3])

    order.refresh_from_db()
    assert (order.customer_name, order.vendor_ids, order.status) == ("Ada", [1, 3], Order.Status.PLACED)
    assert not Message.objects.exists()  # nothing to tell anyone yet


def test_an_order_needs_a_vendor():
    with pytest.raises(ValueError, match="at least one vendor"):
        order_place(customer_name="Ada", vendor_ids=[])

    assert not Order.objects.exists()


def test_paying_an_order_publishes_order_paid_with_its_vendors():
    order = OrderFactory(vendor_ids=[4, 9])

    order_pay(order_id=order.pk)

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    (paid,) = order_paid_messages()
    assert paid.payload == {"order_id": str(order.pk), "vendor_ids": [4, 9]}


def test_a_payment_rolled_back_publishes_nothing():
    order = OrderFactory()

    with pytest.raises(RuntimeError), transaction.atomic():
        order_pay(order_id=order.pk)
        raise RuntimeError("the gateway declined after all")

    order.refresh_from_db()
    assert order.status == Order.Status.PLACED
    assert not order_paid_messages().exists()


@pytest.mark.parametrize("status", [Order.Status.PAID, Order.Status.CANCELLED])
def test_only_a_placed_order_can_be_paid(status):
    order = OrderFactory(status=status)

    with pytest.raises(OrderStateError, match=f"is {status}; only a placed order can be paid"):
        order_pay(order_id=order.pk)

    order.refresh_from_db()
    assert order.status == status
    assert not order_paid_messages().exists()


def test_cancelling_an_order_records_the_reason():
    order = OrderFactory(status=Order.Status.PAID)

    order_cancel(order_id=order.pk, reason="vendor 7 cannot take orders")

    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (Order.Status.CANCELLED, "vendor 7 cannot take orders")


def test_cancelling_twice_keeps_the_first_reason():
    order = OrderFactory()
    order_cancel(order_id=order.pk, reason="first")

    order_cancel(order_id=order.pk, reason="second")

    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (Order.Status.CANCELLED, "first")


def test_a_notified_vendor_is_recorded_once_and_in_order():
    order = OrderFactory(vendor_ids=[2, 5], status=Order.Status.PAID)

    order_record_vendor_notified(order_id=order.pk, vendor_id=5)
    order_record_vendor_notified(order_id=order.pk, vendor_id=2)
    order_record_vendor_notified(order_id=order.pk, vendor_id=5)

    order.refresh_from_db()
    assert order.notified_vendor_ids == [2, 5]


def test_changing_an_order_that_does_not_exist_fails():

    with pytest.raises(Order.DoesNotExist):
        order_pay(order_id=uuid.uuid4())
