"""The trade-off panel of this shop's own traffic (on the Trade-offs page, below the lab): payment-to-notification
times, failures (and who saw them), stuck orders, per style."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from marketplace.dashboard import tradeoffs
from messaging.models import FaultSetting, HandlerState, JournalEntry, Step
from messaging.runtime.registry import registry
from orders.models import Order, OrderVendor, Payment
from orders.services.lifecycle import order_notify_outcome
from orders.services.payment import order_pay
from orders.services.placing import LineRequest, order_place
from orders.services.settings import store_settings_update
from tests.orders.factories import paid_order
from tests.vendors.factories import UserFactory
from vendors import services as vendor_services

pytestmark = pytest.mark.django_db

GOOD = "4242424242424242"


@pytest.fixture
def shop(run_deliveries):
    """Two vendors, a product each, in Orders' catalog."""
    grocer = vendor_services.vendor_create(name="Green Grocer", kind="supermarket")
    store = vendor_services.vendor_create(name="Corner Store", kind="store")
    apples = vendor_services.product_list(vendor=grocer, product_name="Apples", price="1.20", stock=100)
    kettle = vendor_services.product_list(vendor=store, product_name="Kettle", price="20.00", stock=100)
    run_deliveries()
    return {"apples": apples, "kettle": kettle}


@pytest.fixture
def vendors_paused():
    """Vendors' handlers hold their deliveries: no vendor hears of a paid order."""
    names = [h.name for h in registry.handlers.values() if h.context == "vendors"]
    HandlerState.objects.bulk_create([HandlerState(handler=name, paused=True) for name in names])


def pay(shop, style: str, *, products=("apples", "kettle")) -> Order:
    store_settings_update(style=style)
    order = order_place(
        customer_name="Ada",
        customer_email="ada@example.com",
        lines=[LineRequest(shop[name].pk, 1) for name in products],
    )
    assert order_pay(order_id=order.pk, card_number=GOOD).status == Payment.Status.SUCCEEDED
    return Order.objects.get(pk=order.pk)


def notified_at(order: Order) -> list:
    return list(
        JournalEntry.objects.filter(
            correlation_id=str(order.pk), step=Step.PUBLISHED, type="vendors.VendorNotified"
        ).values_list("at", flat=True)
    )


def numbers_of(style: str) -> tradeoffs.StyleNumbers:
    return {n.style: n for n in tradeoffs.tradeoffs()}[style]


def test_only_staff_see_the_panel(staff_client):
    customer = Client()
    customer.force_login(UserFactory(is_staff=False))
    assert Client().get("/dashboard/tradeoffs/").status_code == 302
    assert customer.get("/dashboard/tradeoffs/").status_code == 302
    assert staff_client.get("/dashboard/tradeoffs/").status_code == 200


@pytest.mark.parametrize("style", ["event", "command"])
def test_payment_to_notification_is_measured_from_paid_at_to_the_first_and_last_vendor_notified(
    style, shop, run_deliveries
):
    # given two orders of two vendors each, paid and notified
    orders = [pay(shop, style), pay(shop, style)]
    run_deliveries()
    # and their payment placed 250 ms and 750 ms before their first VendorNotified
    expected_all = []
    for order, lead_ms in zip(orders, (250, 750), strict=True):
        moments = sorted(notified_at(order))
        assert len(moments) == 2
        paid_at = moments[0] - timedelta(milliseconds=lead_ms)
        Order.objects.filter(pk=order.pk).update(paid_at=paid_at)
        expected_all.append((moments[-1] - paid_at).total_seconds() * 1000)
    # when the panel reads them
    numbers = numbers_of(style)
    # then p50 and p95 are the nearest ranks of the two
    assert (numbers.orders, numbers.notified, numbers.all_notified) == (2, 2, 2)
    assert numbers.first_ms == pytest.approx([250, 750])
    assert (numbers.first_p50, numbers.first_p95) == pytest.approx((250, 750))
    assert numbers.all_ms == pytest.approx(sorted(expected_all))
    assert (numbers.failed_attempts, numbers.stuck) == (0, 0)
    other = numbers_of("command" if style == "event" else "event")
    assert (other.orders, other.first_p50) == (0, None)


def test_an_order_not_yet_notified_by_every_vendor_counts_for_the_first_time_only(shop, run_deliveries):
    order = pay(shop, "event")
    run_deliveries()
    last = JournalEntry.objects.filter(
        correlation_id=str(order.pk), step=Step.PUBLISHED, type="vendors.VendorNotified"
    ).order_by("-seq")[:1]
    last.get().delete()  # as if the second vendor had not been notified yet
    numbers = numbers_of("event")
    assert (numbers.notified, numbers.all_notified, len(numbers.first_ms), numbers.all_ms) == (1, 0, 1, [])


def test_command_style_failures_are_seen_by_orders_in_the_outcome(shop, run_deliveries):
    # given Vendors down while a one-vendor order is paid in command style
    FaultSetting.objects.create(context="vendors", unavailable=True)
    order = pay(shop, "command", products=("apples",))
    run_deliveries()  # NotifyVendor and OrderPaid's vendors subscriber each fail twice, then wait to retry
    # then the failures are in the conversation, and the retried command is visible to Orders
    numbers = numbers_of("command")
    assert (numbers.failed_attempts, numbers.failed_by_context, numbers.orders_with_failures) == (
        4,
        {"vendors": 4},
        1,
    )
    assert (numbers.commands_retried, numbers.vendors_failed, numbers.seen_by_orders) == (1, 0, 1)
    assert numbers.notified == 0
    # when Vendors is back and the retries are due
    FaultSetting.objects.filter(context="vendors").update(unavailable=False)
    run_deliveries(now=timezone.now() + timedelta(seconds=30))
    numbers = numbers_of("command")
    assert (numbers.notified, numbers.commands_retried, numbers.failed_attempts) == (1, 1, 4)
    assert Order.objects.get(pk=order.pk).status == Order.Status.VENDOR_NOTIFIED


def test_event_style_failures_happen_but_orders_is_told_nothing(shop, run_deliveries):
    FaultSetting.objects.create(context="vendors", unavailable=True)
    pay(shop, "event", products=("apples",))
    run_deliveries()
    numbers = numbers_of("event")
    assert (numbers.failed_attempts, numbers.failed_by_context) == (2, {"vendors": 2})
    assert numbers.seen_by_orders is None


def test_a_notify_vendor_that_failed_for_good_is_counted_once(shop, vendors_paused):
    order = pay(shop, "command")
    vendor = OrderVendor.objects.filter(order=order).order_by("vendor_id").first()
    order_notify_outcome(command_id=vendor.command_id, succeeded=False, error="dead-lettered")
    numbers = numbers_of("command")
    assert (numbers.vendors_failed, numbers.commands_retried, numbers.seen_by_orders) == (1, 0, 1)


def test_orders_paid_over_a_minute_ago_and_still_waiting_for_a_vendor_are_stuck(staff_client, shop, vendors_paused):
    now = timezone.now()
    stuck = pay(shop, "event")
    Order.objects.filter(pk=stuck.pk).update(paid_at=now - timedelta(seconds=61))
    pay(shop, "event")  # paid just now: not stuck yet
    cancelled = paid_order(status=Order.Status.CANCELLED, style="event")
    Order.objects.filter(pk=cancelled.pk).update(paid_at=now - timedelta(minutes=5))
    numbers = numbers_of("event")
    assert (numbers.stuck, [o.pk for o in numbers.stuck_orders]) == (1, [stuck.pk])
    assert numbers_of("command").stuck == 0
    page = staff_client.get("/dashboard/tradeoffs/").content.decode()
    assert str(stuck.pk)[:8] in page


def test_the_sample_is_the_newest_paid_orders_of_the_style():
    now = timezone.now()
    for minutes in (3, 1, 2):
        order = paid_order(style="command")
        Order.objects.filter(pk=order.pk).update(paid_at=now - timedelta(minutes=minutes))
    paid_order(style="event")
    newest = tradeoffs.recent_paid_orders("command", limit=2)
    assert [now - o.paid_at for o in newest] == [timedelta(minutes=1), timedelta(minutes=2)]


def test_the_page_puts_both_styles_side_by_side_with_what_they_mean(staff_client, shop, run_deliveries):
    pay(shop, "event")
    pay(shop, "command")
    run_deliveries()
    response = staff_client.get("/dashboard/tradeoffs/")
    page = response.content.decode()
    assert [s.style for s in response.context["styles"]] == ["event", "command"]
    assert [s.orders for s in response.context["styles"]] == [1, 1]
    for words in ("Coupling.", "Feedback.", "Fault tolerance.", 'id="tradeoffs-curve"', "Payment → first vendor"):
        assert words in page
    # below the lab's experiments, and said to be the shop's own orders, not an experiment's
    shop = page.index('<h2 id="shop-heading">This shop\'s own traffic</h2>')
    assert page.index('id="lab-heading"') < shop < page.index("Coupling.") and "the lab's orders are left out" in page
    curve = response.context["chart"]
    assert len(curve["x"]) == len(curve["event"]) == len(curve["command"]) == tradeoffs.CURVE_POINTS


def test_notification_times_read_as_people_read_a_duration(staff_client, shop, run_deliveries):
    # given an order whose first vendor heard of it 190,456 ms after its payment
    order = pay(shop, "event")
    run_deliveries()
    first = min(notified_at(order))
    Order.objects.filter(pk=order.pk).update(paid_at=first - timedelta(milliseconds=190_456))
    # when the panel shows it
    page = staff_client.get("/dashboard/tradeoffs/").content.decode()
    # then it reads in minutes and seconds
    assert "<td>3 min 10 s</td>" in page
    assert "190456 ms" not in page and "190456</td>" not in page
