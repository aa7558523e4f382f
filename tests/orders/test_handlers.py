import uuid

import pytest

import messaging
from messaging.models import Delivery, DeliveryStatus
from orders.contracts import CancelOrder
from orders.models import Order
from tests.factories import OrderFactory
from vendors.contracts import VendorNotified

pytestmark = pytest.mark.django_db


def test_a_cancel_order_command_cancels_the_order(run_deliveries):
    order = OrderFactory(status=Order.Status.PAID)

    command_id = messaging.send(CancelOrder(order_id=order.pk, reason="out of stock"))
    run_deliveries()

    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (Order.Status.CANCELLED, "out of stock")
    assert messaging.outcome(command_id).status == DeliveryStatus.SUCCEEDED


def test_a_cancel_order_command_needs_a_reason():
    order = OrderFactory()

    with pytest.raises(ValueError, match="at least 1 character"):
        CancelOrder(order_id=order.pk, reason="")


def test_a_cancel_for_an_order_not_found_is_retried_rather_than_lost(run_deliveries):

    command_id = messaging.send(CancelOrder(order_id=uuid.uuid4(), reason="out of stock"))
    run_deliveries()

    outcome = messaging.outcome(command_id)
    assert (outcome.status, outcome.attempts) == (DeliveryStatus.FAILED, 3)
    assert outcome.error == "DoesNotExist: Order matching query does not exist."


def test_a_vendor_notified_event_is_recorded_on_the_order(run_deliveries):
    order = OrderFactory(vendor_ids=[1, 2], status=Order.Status.PAID)

    messaging.publish(VendorNotified(order_id=order.pk, vendor_id=2))
    run_deliveries()

    order.refresh_from_db()
    assert order.notified_vendor_ids == [2]
    handled = Delivery.objects.get(handler="orders.record_vendor_notified")
    assert (handled.status, handled.context) == (DeliveryStatus.SUCCEEDED, "orders")


def test_a_vendor_notified_event_delivered_twice_is_recorded_once(run_deliveries):
    order = OrderFactory(vendor_ids=[1], status=Order.Status.PAID)

    messaging.publish(VendorNotified(order_id=order.pk, vendor_id=1))
    messaging.publish(VendorNotified(order_id=order.pk, vendor_id=1))
    assert run_deliveries() == 2

    order.refresh_from_db()
    assert order.notified_vendor_ids == [1]
