"""Vendors' handlers, run in-process by the same claim-and-execute code as the workers."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

import messaging
from messaging.models import Delivery, DeliveryStatus, FaultSetting, HandlerState, Message
from messaging.runtime.registry import registry
from orders.contracts import OrderCancelled, OrderPaid, PaidLine
from tests.vendors.factories import ProductFactory, VendorFactory
from vendors.contracts import Line, NotifyVendor
from vendors.models import Product, VendorNotification

pytestmark = pytest.mark.django_db

Status = VendorNotification.Status
OUR_HANDLERS = ("vendors.notify_vendors_of_paid_order", "vendors.notify_vendor", "vendors.release_cancelled_order")


@pytest.fixture
def two_vendors():
    """A supermarket with milk (5 in stock) and a store with a kettle (1 in stock)."""
    return {
        "milk": ProductFactory(vendor=VendorFactory(name="Big Market", kind="supermarket"), name="Milk", stock=5),
        "kettle": ProductFactory(vendor=VendorFactory(name="Homeware"), name="Kettle", stock=1),
    }


def order_paid(products: dict, *, style: str, order_id=None, milk=2, kettle=1) -> OrderPaid:
    return OrderPaid(
        order_id=order_id or uuid.uuid4(),
        total=Decimal("42.00"),
        customer_email="ada@example.com",
        style=style,
        lines=[
            PaidLine(vendor_id=products["milk"].vendor_id, product_id=products["milk"].pk, quantity=milk),
            PaidLine(vendor_id=products["kettle"].vendor_id, product_id=products["kettle"].pk, quantity=kettle),
        ],
    )


def notify_vendor(product, order_id, quantity=1) -> NotifyVendor:
    return NotifyVendor(
        order_id=order_id, vendor_id=product.vendor_id, lines=[Line(product_id=product.pk, quantity=quantity)]
    )


def notifications(order_id) -> list[tuple[str, str, str]]:
    rows = VendorNotification.objects.filter(order_id=order_id).order_by("vendor__name")
    return [(n.vendor.name, n.status, n.via) for n in rows]


def count(type_name: str) -> int:
    return Message.objects.filter(type=f"vendors.{type_name}").count()


def our_deliveries() -> set[str]:
    return set(Delivery.objects.filter(handler__in=OUR_HANDLERS).values_list("status", flat=True))


def stock(product) -> int:
    return Product.objects.get(pk=product.pk).stock


def test_an_order_paid_in_event_style_notifies_each_of_its_vendors_and_reserves_their_stock(
    two_vendors, run_deliveries
):
    event = order_paid(two_vendors, style="event")

    messaging.publish(event)
    run_deliveries()

    assert notifications(event.order_id) == [("Big Market", "notified", "event"), ("Homeware", "notified", "event")]
    assert (stock(two_vendors["milk"]), stock(two_vendors["kettle"])) == (3, 0)
    assert count("VendorNotified") == 2
    assert our_deliveries() == {DeliveryStatus.SUCCEEDED}


def test_an_order_paid_published_twice_notifies_each_vendor_once(two_vendors, run_deliveries):
    event = order_paid(two_vendors, style="event")
    messaging.publish(event)
    run_deliveries()

    messaging.publish(event)  # a replay: the same fact again
    run_deliveries()

    assert len(notifications(event.order_id)) == 2
    assert count("VendorNotified") == 2
    assert (stock(two_vendors["milk"]), stock(two_vendors["kettle"])) == (3, 0)
    assert Delivery.objects.filter(handler=OUR_HANDLERS[0], status=DeliveryStatus.SUCCEEDED).count() == 2


def test_an_order_paid_in_command_style_is_left_to_the_commands(two_vendors, run_deliveries):
    event = order_paid(two_vendors, style="command")

    messaging.publish(event)
    run_deliveries()

    assert notifications(event.order_id) == []
    assert our_deliveries() == {DeliveryStatus.SUCCEEDED}


def test_notify_vendor_records_the_notification_and_answers_its_status(two_vendors, run_deliveries):
    order_id = uuid.uuid4()

    command_id = messaging.send(notify_vendor(two_vendors["milk"], order_id, quantity=2))
    run_deliveries()

    assert notifications(order_id) == [("Big Market", "notified", "command")]
    assert messaging.outcome(command_id).result == {"status": "notified"}


def test_notify_vendor_answers_rejected_when_stock_is_short(two_vendors, run_deliveries):
    order_id = uuid.uuid4()

    command_id = messaging.send(notify_vendor(two_vendors["kettle"], order_id, quantity=2))
    run_deliveries()

    assert messaging.outcome(command_id).result == {"status": "rejected"}
    assert stock(two_vendors["kettle"]) == 1
    assert count("StockUnavailable") == 1


def test_a_style_switch_mid_flow_still_notifies_each_vendor_once(two_vendors, run_deliveries):
    event = order_paid(two_vendors, style="event")
    messaging.publish(event)
    run_deliveries()

    command_id = messaging.send(notify_vendor(two_vendors["milk"], event.order_id, quantity=2))
    run_deliveries()

    assert notifications(event.order_id) == [("Big Market", "notified", "event"), ("Homeware", "notified", "event")]
    assert messaging.outcome(command_id).result == {"status": "notified"}
    assert count("VendorNotified") == 2
    assert stock(two_vendors["milk"]) == 3


def test_a_command_first_then_a_late_event_still_notifies_once(two_vendors, run_deliveries):
    event = order_paid(two_vendors, style="event")
    messaging.send(notify_vendor(two_vendors["milk"], event.order_id, quantity=2))
    run_deliveries()

    messaging.publish(event)
    run_deliveries()

    assert notifications(event.order_id) == [("Big Market", "notified", "command"), ("Homeware", "notified", "event")]
    assert stock(two_vendors["milk"]) == 3


def test_short_stock_publishes_stock_unavailable_and_reserves_nothing_for_that_vendor(two_vendors, run_deliveries):
    event = order_paid(two_vendors, style="event", kettle=3)

    messaging.publish(event)
    run_deliveries()

    assert notifications(event.order_id) == [("Big Market", "notified", "event"), ("Homeware", "rejected", "event")]
    assert stock(two_vendors["kettle"]) == 1
    unavailable = Message.objects.get(type="vendors.StockUnavailable")
    assert unavailable.payload["product_ids"] == [two_vendors["kettle"].pk]
    assert unavailable.correlation_id == str(event.order_id)


def test_order_cancelled_releases_the_stock_of_every_vendor(two_vendors, run_deliveries):
    event = order_paid(two_vendors, style="event")
    messaging.publish(event)
    run_deliveries()

    messaging.publish(OrderCancelled(order_id=event.order_id, reason="vendor did not answer in time"))
    run_deliveries()

    assert notifications(event.order_id) == [("Big Market", "cancelled", "event"), ("Homeware", "cancelled", "event")]
    assert (stock(two_vendors["milk"]), stock(two_vendors["kettle"])) == (5, 1)
    assert our_deliveries() == {DeliveryStatus.SUCCEEDED}


def test_a_paid_order_waits_out_a_vendors_outage_and_is_notified_once_after_it(two_vendors, run_deliveries):
    # Orders' subscribers would fail on orders this test never placed: out of the way.
    HandlerState.objects.bulk_create(
        HandlerState(handler=h, paused=True) for h in registry.handlers if h.startswith("orders.")
    )
    FaultSetting.objects.create(context="vendors", unavailable=True)
    event = order_paid(two_vendors, style="event")
    messaging.publish(event)
    run_deliveries()
    delivery = Delivery.objects.get(handler=OUR_HANDLERS[0])
    assert (delivery.status, notifications(event.order_id)) == (DeliveryStatus.FAILED, [])
    assert "service unavailable" in delivery.last_error

    FaultSetting.objects.filter(context="vendors").update(unavailable=False)
    run_deliveries(now=timezone.now() + timedelta(seconds=15))

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert len(notifications(event.order_id)) == 2
    assert count("VendorNotified") == 2
