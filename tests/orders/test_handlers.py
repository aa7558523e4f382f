"""Orders' handlers, through the outbox and the worker's code (``run_deliveries``), with the real vendors' side."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

import messaging
from messaging.models import Delivery, DeliveryStatus, FaultSetting, Message
from orders.models import CatalogProduct, Order, OrderVendor, Payment
from orders.services.lifecycle import order_complete
from orders.services.payment import order_pay
from orders.services.placing import LineRequest, order_place
from tests.orders.factories import StoreSettingsFactory, paid_order
from vendors import services as vendor_services
from vendors.contracts import OrderPrepared, StockUnavailable, VendorAccepted, VendorNotified
from vendors.models import VendorNotification

pytestmark = pytest.mark.django_db

GOOD = "4242424242424242"
S, V = Order.Status, OrderVendor.Status


@pytest.fixture
def shop(run_deliveries):
    """Two vendors list a product each; their events fill Orders' catalog."""
    grocer = vendor_services.vendor_create(name="Green Grocer", kind="supermarket")
    store = vendor_services.vendor_create(name="Corner Store", kind="store")
    apples = vendor_services.product_list(vendor=grocer, product_name="Apples", price="1.20", stock=10)
    kettle = vendor_services.product_list(vendor=store, product_name="Kettle", price="20.00", stock=3)
    run_deliveries()
    return {"apples": apples, "kettle": kettle}


def place_and_pay(shop, *, apples=2, kettle=1) -> Order:
    order = order_place(
        customer_name="Ada",
        customer_email="ada@example.com",
        lines=[LineRequest(shop["apples"].pk, apples), LineRequest(shop["kettle"].pk, kettle)],
    )
    assert order_pay(order_id=order.pk, card_number=GOOD).status == Payment.Status.SUCCEEDED
    return order


def status_of(order) -> str:
    return Order.objects.get(pk=order.pk).status


def vendors_act(action, order) -> None:
    """Vendor staff press Accept (or Prepared) in the portal for each of the order's notifications."""
    for notification in VendorNotification.objects.filter(order_id=order.pk):
        action(notification_id=notification.pk)


def test_the_catalog_reaches_orders_by_events(shop):
    assert set(CatalogProduct.objects.values_list("name", "vendor_name", "price", "stock")) == {
        ("Apples", "Green Grocer", Decimal("1.20"), 10),
        ("Kettle", "Corner Store", Decimal("20.00"), 3),
    }


@pytest.mark.parametrize("style", ["event", "command"])
def test_a_paid_order_goes_all_the_way_to_prepared_with_the_vendors(style, shop, run_deliveries):
    # given the store's style, and a paid order of two vendors
    StoreSettingsFactory(style=style)
    order = place_and_pay(shop)
    assert status_of(order) == S.PAID
    # when the messages are delivered, each vendor is notified (its stock reserved) and the order follows
    run_deliveries()
    assert status_of(order) == S.VENDOR_NOTIFIED
    assert set(VendorNotification.objects.filter(order_id=order.pk).values_list("status", "via")) == {
        ("notified", style)
    }
    assert set(CatalogProduct.objects.values_list("name", "stock")) == {("Apples", 8), ("Kettle", 2)}
    # when vendor staff accept, then prepare
    vendors_act(vendor_services.notification_accept, order)
    run_deliveries()
    assert status_of(order) == S.ACCEPTED
    vendors_act(vendor_services.notification_prepare, order)
    run_deliveries()
    # then the order is prepared, and the customer can complete it
    assert status_of(order) == S.PREPARED
    order_complete(order_id=order.pk)
    assert status_of(order) == S.COMPLETED
    # and every delivery succeeded: nothing retried, nothing dead
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING, DeliveryStatus.SUCCEEDED}
    assert list(Delivery.objects.filter(status=DeliveryStatus.PENDING).values_list("message__type", flat=True)) == [
        "orders.CheckVendorResponses"  # due later
    ]


def test_command_style_records_each_vendors_acknowledgement(shop, run_deliveries):
    StoreSettingsFactory(style="command")
    order = place_and_pay(shop)
    run_deliveries()
    for vendor in OrderVendor.objects.filter(order=order):
        assert (vendor.status, vendor.last_error) == (V.NOTIFIED, "")
        assert vendor.acknowledged_at is not None
        assert messaging.outcome(vendor.command_id).status == DeliveryStatus.SUCCEEDED


def test_stock_unavailable_cancels_and_refunds_the_order_and_releases_the_other_vendors_stock(shop, run_deliveries):
    # given the kettles sold out at the store after the customer saw them
    order = order_place(
        customer_name="Ada",
        customer_email="ada@example.com",
        lines=[LineRequest(shop["apples"].pk, 2), LineRequest(shop["kettle"].pk, 3)],
    )
    vendor_services.product_change_stock(product_id=shop["kettle"].pk, stock=1)
    order_pay(order_id=order.pk, card_number=GOOD)
    # when Vendors hear of the paid order
    run_deliveries()
    # then the store says stock unavailable, the order is cancelled and refunded
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert order.cancel_reason == "Corner Store cannot supply Kettle"
    assert order.payments.get().status == Payment.Status.REFUNDED
    # and the grocer, who had reserved apples, released them
    assert CatalogProduct.objects.get(name="Apples").stock == 10
    assert set(VendorNotification.objects.filter(order_id=order.pk).values_list("status", flat=True)) == {
        "cancelled",
        "rejected",
    }


def test_vendors_that_do_not_accept_in_time_get_the_order_cancelled(shop, run_deliveries):
    # given vendors have 60 seconds, and a paid order they were notified of but never accept
    StoreSettingsFactory(vendor_timeout_seconds=60)
    order = place_and_pay(shop)
    run_deliveries()
    # when the time is up
    run_deliveries(now=timezone.now() + timedelta(seconds=61))
    # then the order is cancelled and the vendors' reservations released
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (S.CANCELLED, "not accepted in time by Corner Store, Green Grocer")
    assert set(CatalogProduct.objects.values_list("name", "stock")) == {("Apples", 10), ("Kettle", 3)}


# An outage opens the breaker, whose failed probes use up no attempts: to fail for good, the command must run
# out of attempts with the breaker out of the way.
@override_settings(MESSAGING={**settings.MESSAGING, "breaker_threshold": 10_000})
def test_a_command_that_fails_for_good_cancels_the_order(shop, run_deliveries):
    # given the store uses commands, and Vendors fails every attempt
    StoreSettingsFactory(style="command", vendor_timeout_seconds=3600)
    FaultSetting.objects.create(context="vendors", unavailable=True)
    order = place_and_pay(shop)
    # when every attempt of the NotifyVendor commands fails
    later = timezone.now()
    for _ in range(40):
        run_deliveries(now=later)
        if not Delivery.objects.filter(message__type="vendors.NotifyVendor").exclude(status="dead").exists():
            break
        later += timedelta(seconds=15)
    run_deliveries(now=later)
    # then Orders records the failure on each vendor, and cancels and refunds the order
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert order.cancel_reason.endswith(
        " could not be notified: ServiceUnavailableError: service unavailable: vendors is down (fault lab)"
    )
    assert order.payments.get().status == Payment.Status.REFUNDED
    assert set(order.vendors.values_list("status", flat=True)) == {V.FAILED}
    assert all("service unavailable" in vendor.last_error for vendor in order.vendors.all())


class TestDrivenByVendorEvents:
    """Orders alone: vendors' handlers are paused and the test publishes their events."""

    @pytest.fixture(autouse=True)
    def _vendors(self, vendors_paused):
        pass

    @staticmethod
    def vendor_says(order, event) -> None:
        with messaging.correlated(order.pk):
            messaging.publish(event)

    def test_vendor_events_move_a_paid_order_to_prepared(self, run_deliveries):
        order = paid_order(V.WAITING, V.WAITING)
        for vendor_id in (1, 2):
            self.vendor_says(order, VendorNotified(order_id=order.pk, vendor_id=vendor_id))
        run_deliveries()
        assert status_of(order) == S.VENDOR_NOTIFIED
        for vendor_id in (1, 2):
            self.vendor_says(order, VendorAccepted(order_id=order.pk, vendor_id=vendor_id, lines=[]))
        run_deliveries()
        assert status_of(order) == S.ACCEPTED
        for vendor_id in (1, 2):
            self.vendor_says(order, OrderPrepared(order_id=order.pk, vendor_id=vendor_id))
        run_deliveries()
        assert status_of(order) == S.PREPARED

    def test_stock_unavailable_cancels_the_order(self, run_deliveries):
        order = paid_order(V.WAITING)
        self.vendor_says(order, StockUnavailable(order_id=order.pk, vendor_id=1, product_ids=[1]))
        run_deliveries()
        assert status_of(order) == S.CANCELLED
        assert Message.objects.filter(type="orders.OrderCancelled", correlation_id=str(order.pk)).count() == 1

    def test_an_illegal_message_is_not_applied_and_its_delivery_still_succeeds(self, run_deliveries, caplog):
        # given a cancelled order
        order = paid_order(V.ACCEPTED, status=S.CANCELLED)
        # when a vendor says it prepared the goods
        self.vendor_says(order, OrderPrepared(order_id=order.pk, vendor_id=1))
        run_deliveries()
        # then the order stays cancelled, the warning is logged, and the delivery is done: no retries
        assert status_of(order) == S.CANCELLED
        assert "illegal transition cancelled -> prepared" in caplog.text
        delivery = Delivery.objects.get(message__type="vendors.OrderPrepared", handler="orders.vendor_prepared")
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)

    def test_news_of_an_unknown_order_is_dead_lettered_at_once_with_the_reason(self, run_deliveries):
        messaging.publish(VendorAccepted(order_id="00000000-0000-4000-8000-000000000000", vendor_id=1, lines=[]))
        run_deliveries()
        delivery = Delivery.objects.get(handler="orders.vendor_accepted")
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.DEAD, 1)
        assert "VendorAccepted for an unknown order or vendor" in delivery.last_error


def test_the_trade_off_labs_products_reach_the_catalog_marked_as_the_labs(shop, run_deliveries):
    # given the lab's vendors and products, listed by Vendors
    lab = vendor_services.lab_vendors_ensure(stock=50)
    # when the workers carry their ProductListed to Orders
    run_deliveries()
    # then the catalog holds them as the lab's, and the shop's products as the shop's
    lab_ids = {pid for vendor in lab for pid in vendor.product_ids}
    flags = dict(CatalogProduct.objects.values_list("product_id", "lab"))
    assert flags == {shop["apples"].pk: False, shop["kettle"].pk: False, **dict.fromkeys(lab_ids, True)}
