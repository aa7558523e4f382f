"""A paid order from placing to "prepared", against a real qcluster and sweeper, in both styles; and the fault lab.

The vendors' products reaches Orders by events, the customer places and pays
through Orders' services, vendor staff accept and prepare through Vendors'
services, and every step in between is a message the cluster delivers.
Timings: tests/settings.py (breaker cool-down 2 s) and Vendors' own retry
policy (``vendors.handlers.PATIENT``: retries after 0, 1, 2, 4, 8, 10... s).
"""

from decimal import Decimal

import pytest
from django.db import transaction

import messaging
from messaging.models import DeadLetter, Delivery, DeliveryStatus, FaultSetting, JournalEntry, Message, Step
from orders.models import CatalogProduct, Order, OrderVendor, Payment
from orders.selectors import order_timeline, order_vendor_progress
from orders.services.payment import order_pay
from orders.services.placing import LineRequest, order_place
from orders.services.settings import store_settings_update
from tests.processes import wait_until
from vendors import services as vendors
from vendors.models import Product, VendorNotification

pytestmark = pytest.mark.cluster

SUCCEEDING_CARD = "4242 4242 4242 4242"
NOTIFY_BY_EVENT = "vendors.notify_vendors_of_paid_order"
NOTIFY_BY_COMMAND = "vendors.notify_vendor"


@pytest.fixture
def shop(qcluster, sweeper) -> list[Product]:
    """Two vendors with two products each, listed through Vendors' services; ready once Orders' catalog has them."""
    with transaction.atomic():
        grocer = vendors.vendor_create(name="Green Grocer", kind="supermarket")
        books = vendors.vendor_create(name="Page Turner", kind="store")
        products = [
            vendors.product_list(vendor=grocer, product_name="Apples", price=Decimal("2.50"), stock=20),
            vendors.product_list(vendor=grocer, product_name="Pears", price=Decimal("3.00"), stock=20),
            vendors.product_list(vendor=books, product_name="Atlas", price=Decimal("30.00"), stock=5),
            vendors.product_list(vendor=books, product_name="Novel", price=Decimal("12.00"), stock=5),
        ]
    wait_until(lambda: CatalogProduct.objects.count() == 4, timeout=20, message="the catalog to reach Orders")
    return products


def place_and_pay(*products: Product, quantity: int = 1) -> Order:
    order = order_place(
        customer_name="Ada Lovelace",
        customer_email="ada@example.com",
        lines=[LineRequest(product_id=product.pk, quantity=quantity) for product in products],
    )
    payment = order_pay(order_id=order.id, card_number=SUCCEEDING_CARD)
    assert payment.status == Payment.Status.SUCCEEDED
    return order


def two_vendor_order(shop: list[Product]) -> Order:
    apples, _, atlas, _ = shop
    return place_and_pay(apples, atlas)


def status_of(order: Order) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


def wait_for_status(order: Order, status: str, *, timeout: float = 20) -> None:
    wait_until(lambda: status_of(order) == status, timeout=timeout, message=f"order {order.pk} to be {status}")


def notifications_of(order: Order) -> list[VendorNotification]:
    return list(VendorNotification.objects.filter(order_id=order.pk).order_by("vendor_id"))


def accept_and_prepare(order: Order) -> None:
    """Vendor staff accept, then (once the order shows accepted) mark prepared, each vendor its own part."""
    for notification in notifications_of(order):
        vendors.notification_accept(notification_id=notification.pk, actor=f"vendor:{notification.vendor.slug}")
    wait_for_status(order, Order.Status.ACCEPTED)
    for notification in notifications_of(order):
        vendors.notification_prepare(notification_id=notification.pk, actor=f"vendor:{notification.vendor.slug}")
    wait_for_status(order, Order.Status.PREPARED)


def failed_attempts(order: Order, handler: str) -> int:
    """Failed deliveries of this order's messages to ``handler``, as the order's timeline (the journal) shows them."""
    return order_timeline(order).filter(handler=handler, step=Step.FAILED).count()


def vendor_ids(order: Order) -> set[int]:
    return set(order.lines.values_list("vendor_id", flat=True))


def assert_notified_exactly_once(order: Order, *, via: str) -> None:
    notifications = notifications_of(order)
    assert {n.vendor_id for n in notifications} == vendor_ids(order)
    assert len(notifications) == len(vendor_ids(order))
    assert {n.via for n in notifications} == {via}
    announced = Message.objects.filter(type="vendors.VendorNotified", correlation_id=str(order.pk))
    assert announced.count() == len(vendor_ids(order))


def set_vendors_unavailable(unavailable: bool) -> None:
    FaultSetting.objects.update_or_create(context="vendors", defaults={"unavailable": unavailable})


# --- The happy path, in each style ---------------------------------------------------------------------------------


def test_event_style_a_two_vendor_order_goes_from_paid_to_prepared(shop):
    store_settings_update(style="event")
    order = two_vendor_order(shop)

    wait_for_status(order, Order.Status.VENDOR_NOTIFIED)
    assert_notified_exactly_once(order, via="event")
    assert not Message.objects.filter(type="vendors.NotifyVendor").exists()
    accept_and_prepare(order)

    assert set(OrderVendor.objects.filter(order=order).values_list("status", flat=True)) == {
        OrderVendor.Status.PREPARED
    }
    assert {n.status for n in notifications_of(order)} == {VendorNotification.Status.PREPARED}
    assert Order.objects.get(pk=order.pk).style == "event"
    apples, pears, atlas, novel = shop
    reserved = {apples.pk: 19, pears.pk: 20, atlas.pk: 4, novel.pk: 5}
    wait_until(
        lambda: dict(CatalogProduct.objects.values_list("product_id", "stock")) == reserved,
        message="the reserved stock to reach Orders' catalog",
    )


def test_command_style_a_two_vendor_order_is_acknowledged_then_prepared(shop):
    store_settings_update(style="command")
    order = two_vendor_order(shop)

    wait_for_status(order, Order.Status.VENDOR_NOTIFIED)
    wait_until(
        lambda: not OrderVendor.objects.filter(order=order, acknowledged_at=None).exists(),
        message="every NotifyVendor's outcome to come back",
    )
    assert_notified_exactly_once(order, via="command")
    for row in OrderVendor.objects.filter(order=order):
        outcome = messaging.outcome(row.command_id)
        assert (outcome.status, outcome.attempts, outcome.result) == (
            DeliveryStatus.SUCCEEDED,
            1,
            {"status": "notified"},
        )
        assert row.last_error == ""
    accept_and_prepare(order)

    assert Order.objects.get(pk=order.pk).style == "command"
    assert {n.status for n in notifications_of(order)} == {VendorNotification.Status.PREPARED}


# --- The fault lab: Vendors down for a while, then back --------------------------------------------------------------


def test_event_style_with_vendors_down_no_paid_order_is_lost_and_each_vendor_is_notified_once_it_is_back(shop):
    store_settings_update(style="event")
    set_vendors_unavailable(True)
    apples, pears, atlas, novel = shop
    orders = [place_and_pay(apples, atlas), place_and_pay(pears, novel)]

    for order in orders:
        wait_until(lambda order=order: failed_attempts(order, NOTIFY_BY_EVENT) >= 2, message="two failed deliveries")
    assert not VendorNotification.objects.exists()
    assert {status_of(order) for order in orders} == {Order.Status.PAID}
    failure = JournalEntry.objects.filter(handler=NOTIFY_BY_EVENT, step=Step.FAILED).first()
    assert "service unavailable: vendors is down (fault lab)" in failure.detail

    set_vendors_unavailable(False)

    for order in orders:
        wait_for_status(order, Order.Status.VENDOR_NOTIFIED, timeout=30)
        assert_notified_exactly_once(order, via="event")
        delivery = Delivery.objects.get(message__correlation_id=str(order.pk), handler=NOTIFY_BY_EVENT)
        assert (delivery.status, delivery.attempts > 2) == (DeliveryStatus.SUCCEEDED, True)
    assert not DeadLetter.objects.exists()


def test_command_style_with_vendors_down_orders_shows_the_failures_then_the_acknowledgement(shop):
    store_settings_update(style="command")
    set_vendors_unavailable(True)
    apples, pears, atlas, novel = shop
    orders = [place_and_pay(apples, atlas), place_and_pay(pears, novel)]
    commands = list(OrderVendor.objects.filter(order__in=orders))
    assert len(commands) == 4 and all(row.command_id for row in commands)

    # Each command fails (the first few open the breaker; the others fail as its probes, which use up no attempt).
    for row in commands:
        wait_until(lambda row=row: messaging.outcome(row.command_id).error, timeout=45, message="a failed attempt")
    for order in orders:  # what the order page shows while Vendors is down
        for progress in order_vendor_progress(order):
            assert progress.command_status in (DeliveryStatus.FAILED, DeliveryStatus.PENDING, DeliveryStatus.RUNNING)
            assert "service unavailable: vendors is down (fault lab)" in progress.last_error
            assert progress.acknowledged_at is None
        assert failed_attempts(order, NOTIFY_BY_COMMAND) >= 2  # one per vendor at least, on the order's timeline
    assert not VendorNotification.objects.exists()
    assert not OrderVendor.objects.exclude(acknowledged_at=None).exists()
    assert {status_of(order) for order in orders} == {Order.Status.PAID}

    set_vendors_unavailable(False)

    for order in orders:
        wait_for_status(order, Order.Status.VENDOR_NOTIFIED, timeout=30)
    wait_until(
        lambda: not OrderVendor.objects.filter(order__in=orders, acknowledged_at=None).exists(),
        timeout=15,
        message="every acknowledgement",
    )
    for order in orders:
        assert_notified_exactly_once(order, via="command")
        for progress in order_vendor_progress(order):
            assert (progress.status, progress.command_status) == (OrderVendor.Status.NOTIFIED, DeliveryStatus.SUCCEEDED)
            assert (progress.attempts >= 1, progress.last_error) == (True, "")
    for row in OrderVendor.objects.filter(order__in=orders):
        assert messaging.outcome(row.command_id).result == {"status": "notified"}
    assert not DeadLetter.objects.exists()
