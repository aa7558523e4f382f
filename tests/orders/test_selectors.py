import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import timezone

from messaging.models import FaultSetting, JournalEntry
from orders.models import CatalogProduct
from orders.selectors import catalog_by_vendor, order_for_token, order_timeline, order_vendor_progress
from orders.services.payment import order_pay
from orders.services.placing import LineRequest, order_place
from tests.orders.factories import CatalogProductFactory, OrderFactory, StoreSettingsFactory, paid_order
from vendors import services as vendor_services

pytestmark = pytest.mark.django_db


def placed(*products, customer="Ada"):
    return order_place(
        customer_name=customer,
        customer_email="ada@example.com",
        lines=[LineRequest(product.product_id, 1) for product in products],
    )


def test_the_catalog_is_grouped_by_vendor_each_sorted_by_name():
    # given products of two vendors, one of them sold out
    tea = CatalogProductFactory(vendor_id=2, vendor_name="Corner Store", name="Tea")
    pears = CatalogProductFactory(vendor_id=1, vendor_name="Green Grocer", name="Pears", stock=0)
    apples = CatalogProductFactory(vendor_id=1, vendor_name="Green Grocer", name="Apples")
    # when the storefront reads the catalog
    catalog = catalog_by_vendor()
    # then vendors come by name, each with its products by name, sold-out ones included
    assert [(group.vendor_id, group.vendor_name, group.products) for group in catalog] == [
        (2, "Corner Store", [tea]),
        (1, "Green Grocer", [apples, pears]),
    ]
    vendor_name, products = catalog[0].vendor_name, catalog[0].products
    assert (vendor_name, products) == ("Corner Store", [tea])  # also readable as a tuple in templates


def test_an_empty_catalog_has_no_vendors():
    assert catalog_by_vendor() == []


def test_an_order_is_found_by_its_token_as_text_or_uuid():
    order = OrderFactory()
    assert order_for_token(str(order.pk)) == order
    assert order_for_token(order.pk) == order
    assert order_for_token(str(order.pk).upper()) == order


@pytest.mark.parametrize("token", [str(uuid.uuid4()), "not-a-uuid", "", "1", "../admin", "0" * 33])
def test_an_unknown_or_malformed_token_is_not_found(token):
    OrderFactory()
    with pytest.raises(Http404):
        order_for_token(token)


def test_the_timeline_is_this_orders_messages_oldest_first(vendors_paused):
    # given two paid orders
    product = CatalogProductFactory(price=Decimal("2.00"))
    ours, theirs = placed(product), placed(product, customer="Bob")
    order_pay(order_id=ours.pk, card_number="4242424242424242")
    order_pay(order_id=theirs.pk, card_number="4242424242424242")
    # when our order's timeline is read
    timeline = list(order_timeline(ours))
    # then it holds only our order's entries, oldest first
    assert [(entry.step, entry.type) for entry in timeline] == [
        ("published", "orders.OrderPaid"),
        ("sent", "orders.CheckVendorResponses"),
    ]
    assert [entry.at for entry in timeline] == sorted(entry.at for entry in timeline)
    assert {entry.correlation_id for entry in timeline} == {str(ours.pk)}
    assert JournalEntry.objects.filter(correlation_id=str(theirs.pk)).count() == 2


def test_the_timeline_follows_the_deliveries(vendors_paused, run_deliveries):
    product = CatalogProductFactory()
    order = placed(product)
    order_pay(order_id=order.pk, card_number="4242424242424242")
    run_deliveries()
    steps = [(entry.step, entry.handler) for entry in order_timeline(order) if entry.type == "orders.OrderPaid"]
    assert steps == [
        ("published", ""),
        ("started", "orders.receipt_email"),
        ("succeeded", "orders.receipt_email"),
    ]


def test_in_event_style_vendor_progress_is_the_vendors_status_alone():
    order = paid_order("notified", "waiting")
    progress = order_vendor_progress(order)
    assert [(p.vendor_name, p.status, p.status_label, p.command_status, p.attempts) for p in progress] == [
        ("Vendor 1", "notified", "Notified", "", 0),
        ("Vendor 2", "waiting", "Waiting", "", 0),
    ]


def test_in_command_style_vendor_progress_shows_the_commands_live_state(run_deliveries):
    # given an order paid in command style
    grocer = vendor_services.vendor_create(name="Green Grocer", kind="supermarket")
    vendor_services.product_list(vendor=grocer, product_name="Apples", price="1.20", stock=5)
    run_deliveries()
    StoreSettingsFactory(style="command")
    order = placed(CatalogProduct.objects.get(name="Apples"))
    order_pay(order_id=order.pk, card_number="4242424242424242")
    # then, before any worker ran, its NotifyVendor is pending
    (progress,) = order_vendor_progress(order)
    assert (progress.command_status, progress.attempts, progress.last_error) == ("pending", 0, "")
    assert progress.command_id is not None
    # when Vendors is down and the attempts due now fail
    FaultSetting.objects.create(context="vendors", unavailable=True)
    run_deliveries()
    # then the page can show the failure being retried
    (progress,) = order_vendor_progress(order)
    assert (progress.status, progress.command_status) == ("waiting", "failed")
    assert progress.attempts >= 1
    assert "service unavailable: vendors is down" in progress.last_error
    # when Vendors is back and the retry succeeds
    FaultSetting.objects.filter(context="vendors").update(unavailable=False)
    run_deliveries(now=timezone.now() + timedelta(seconds=30))
    # then the vendor is notified, and the old error is no longer shown
    (progress,) = order_vendor_progress(order)
    assert (progress.status, progress.command_status, progress.last_error) == ("notified", "succeeded", "")
    assert progress.acknowledged_at is not None
