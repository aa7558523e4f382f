import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import timezone

from messaging.models import FaultSetting, JournalEntry
from orders.models import CatalogProduct, Order
from orders.selectors import (
    ExperimentOrder,
    catalog_by_vendor,
    experiment_orders,
    experiment_rows,
    experiment_status_counts,
    lab_catalog,
    order_for_token,
    order_timeline,
    order_vendor_progress,
    orders_waiting_since,
    recent_paid_orders,
)
from orders.services.payment import order_pay
from orders.services.placing import LineRequest, order_place
from tests.orders.factories import (
    CatalogProductFactory,
    OrderFactory,
    OrderLineFactory,
    StoreSettingsFactory,
    paid_order,
)
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


# The trade-off lab: its products and orders stay out of the shop's pages and figures


def lab_order(experiment: str, *vendor_statuses: str, **fields):
    """A paid order of the lab's run ``experiment`` (see ``paid_order``)."""
    order = paid_order(*vendor_statuses, **fields)
    Order.objects.filter(pk=order.pk).update(experiment=experiment, paid_at=timezone.now())
    order.refresh_from_db()
    return order


def shop_order(*vendor_statuses: str, **fields):
    order = paid_order(*vendor_statuses, **fields)
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now())
    order.refresh_from_db()
    return order


def test_the_storefronts_catalog_leaves_out_the_labs_products():
    apples = CatalogProductFactory(vendor_id=1, vendor_name="Green Grocer", name="Apples")
    CatalogProductFactory(vendor_id=9, vendor_name="Lab vendor A", name="Lab product A1", lab=True)

    assert [(group.vendor_name, group.products) for group in catalog_by_vendor()] == [("Green Grocer", [apples])]


def test_the_labs_catalog_is_its_products_with_their_vendor_and_stock_by_id():
    CatalogProductFactory(product_id=1, vendor_id=1)
    CatalogProductFactory(product_id=12, vendor_id=9, stock=40, lab=True)
    CatalogProductFactory(product_id=11, vendor_id=9, stock=0, lab=True)

    assert lab_catalog() == [(11, 9, 0), (12, 9, 40)]


def test_the_shops_recent_paid_orders_leave_out_the_labs():
    ours = shop_order(style="command")
    lab_order("run-1", style="command")

    assert [order.pk for order in recent_paid_orders(style="command", limit=10)] == [ours.pk]


def test_the_shops_orders_waiting_for_vendors_leave_out_the_labs():
    ours = shop_order()
    lab_order("run-1")

    waiting = orders_waiting_since(style="event", paid_before=timezone.now() + timedelta(seconds=1))

    assert [order.pk for order in waiting] == [ours.pk]


@pytest.fixture
def run():
    """Three orders of the lab's run "run-1", in the order placed, beside a shop order and another run's."""
    shop_order("waiting")
    lab_order("run-2", "waiting")
    first = lab_order("run-1", "accepted", "failed", style="command")
    commands = [uuid.uuid4(), uuid.uuid4()]
    for vendor_id, command_id in enumerate(commands, start=1):
        first.vendors.filter(vendor_id=vendor_id).update(command_id=command_id)
    second = lab_order("run-1", "prepared", status=Order.Status.CANCELLED)
    Order.objects.filter(pk=second.pk).update(cancel_reason="a vendor did not accept in time")
    third = OrderFactory(experiment="run-1")  # placed, not paid: no vendor rows, no payment yet
    OrderLineFactory(order=third, vendor_id=3)
    OrderLineFactory(order=third, vendor_id=2)
    start = timezone.now()
    for seconds, order in enumerate((first, second, third)):  # placed a second apart, whatever the clock's grain
        Order.objects.filter(pk=order.pk).update(created_at=start + timedelta(seconds=seconds))
    return first, second, third, commands


def test_an_experiments_orders_are_read_in_the_order_placed_with_their_vendors_and_failures(
    run, django_assert_max_num_queries
):
    first, second, third, _commands = run

    with django_assert_max_num_queries(3):
        orders = experiment_orders(experiment="run-1")

    assert orders == [
        ExperimentOrder(first.pk, "command", "paid", first.paid_at, "", (1, 2), 1),
        ExperimentOrder(second.pk, "event", "cancelled", second.paid_at, "a vendor did not accept in time", (1,), 0),
        ExperimentOrder(third.pk, "", "placed", None, "", (2, 3), 0),
    ]


def test_an_experiments_orders_are_read_in_three_queries_however_many_there_are(run, django_assert_num_queries):
    for _ in range(20):
        lab_order("run-1", "waiting", "notified")

    with django_assert_num_queries(3):
        assert len(experiment_orders(experiment="run-1")) == 23


def test_an_experiments_status_counts_are_its_orders_by_status_in_one_query(run, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = experiment_status_counts(experiment="run-1")

    assert counts == {"paid": 1, "cancelled": 1, "placed": 1}
    assert experiment_status_counts(experiment="no-such-run") == {}


def test_an_experiments_rows_are_its_orders_lines_vendor_rows_and_payments():
    lab_order("run-1", "waiting", "waiting")  # 1 order, 2 lines, 2 vendor rows, 1 payment
    lab_order("run-1", "waiting")  # 1 order, 1 line, 1 vendor row, 1 payment
    lab_order("run-2", "waiting")
    shop_order("waiting")

    assert experiment_rows(experiment="run-1") == 10


@pytest.mark.parametrize("read", [experiment_orders, experiment_status_counts, experiment_rows])
def test_an_experiments_reads_need_its_tag_not_the_shops_empty_one(read):
    shop_order("waiting")

    with pytest.raises(ValueError, match="name the experiment"):
        read(experiment="")
