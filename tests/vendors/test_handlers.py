import pytest

import messaging
from messaging.models import Delivery, DeliveryStatus, Message
from orders.contracts import OrderPaid
from orders.models import Order
from orders.services import order_pay
from tests.factories import OrderFactory, VendorFactory
from vendors.contracts import NotifyVendor
from vendors.models import VendorNotification

pytestmark = pytest.mark.django_db


def test_a_paid_order_notifies_each_of_its_vendors_once_and_the_order_learns_it(run_deliveries):
    vendors = VendorFactory.create_batch(2)
    order = OrderFactory(vendor_ids=[v.pk for v in vendors])

    order_pay(order_id=order.pk)
    run_deliveries()

    assert sorted(VendorNotification.objects.values_list("vendor_id", "order_id")) == [
        (vendors[0].pk, order.pk),
        (vendors[1].pk, order.pk),
    ]
    order.refresh_from_db()
    assert (order.status, order.notified_vendor_ids) == (Order.Status.PAID, sorted(v.pk for v in vendors))
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}


def test_a_duplicate_order_paid_notifies_nobody_twice(run_deliveries):
    order = OrderFactory()
    order_pay(order_id=order.pk)
    run_deliveries()

    messaging.publish(OrderPaid(order_id=order.pk, vendor_ids=order.vendor_ids))
    run_deliveries()

    handled = Delivery.objects.filter(handler="vendors.notify_vendors_of_paid_order")
    assert list(handled.values_list("status", flat=True)) == [DeliveryStatus.SUCCEEDED] * 2
    assert VendorNotification.objects.count() == 1
    assert Message.objects.filter(type="vendors.VendorNotified").count() == 1


def test_a_paid_order_for_an_unknown_vendor_is_cancelled(run_deliveries):
    order = OrderFactory(vendor_ids=[404])

    order_pay(order_id=order.pk)
    run_deliveries()

    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (Order.Status.CANCELLED, "vendor 404 cannot take orders")
    assert not VendorNotification.objects.exists()


def test_the_notify_vendor_command_returns_the_notification(run_deliveries):
    vendor, order = VendorFactory(), OrderFactory(status=Order.Status.PAID)

    command_id = messaging.send(NotifyVendor(order_id=order.pk, vendor_id=vendor.pk))
    run_deliveries()

    notification = VendorNotification.objects.get(vendor=vendor)
    outcome = messaging.outcome(command_id)
    assert (outcome.status, outcome.result) == (DeliveryStatus.SUCCEEDED, {"notification_id": notification.pk})
    order.refresh_from_db()
    assert order.notified_vendor_ids == [vendor.pk]


def test_the_notify_vendor_command_for_an_unknown_vendor_returns_no_notification(run_deliveries):
    order = OrderFactory(status=Order.Status.PAID)

    command_id = messaging.send(NotifyVendor(order_id=order.pk, vendor_id=404))
    run_deliveries()

    assert messaging.outcome(command_id).result == {"notification_id": None}
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED


def test_order_paid_reaches_vendors_through_its_one_subscriber():
    order = OrderFactory()

    event_id = messaging.publish(OrderPaid(order_id=order.pk, vendor_ids=order.vendor_ids))

    assert list(Delivery.objects.filter(message_id=event_id).values_list("handler", "context")) == [
        ("vendors.notify_vendors_of_paid_order", "vendors")
    ]
