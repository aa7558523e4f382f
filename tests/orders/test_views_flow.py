"""The order page as messages come back, with the real vendors' side run in-process."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.models import FaultSetting
from orders.models import Order
from tests.orders.factories import StoreSettingsFactory
from vendors.services import products as vendor_products

pytestmark = pytest.mark.django_db

CARD = {"number": "4242 4242 4242 4242", "expiry": "12/99", "cvc": "123", "name": "Ada Lovelace"}


@pytest.fixture
def apples(run_deliveries):
    grocer = vendor_products.vendor_create(name="Green Grocer", kind="supermarket")
    product = vendor_products.product_list(vendor=grocer, product_name="Apples", price="1.20", stock=5)
    run_deliveries()  # ProductListed reaches Orders' catalog
    return product


def place_order(client, product) -> Order:
    client.post(
        "/orders/",
        {"customer_name": "Ada", "customer_email": "ada@example.com", f"quantity_{product.pk}": "2"},
    )
    return Order.objects.get()


def timeline(client, order) -> str:
    return client.get(f"/orders/{order.id}/timeline/").content.decode()


def test_event_style_the_timeline_fills_with_the_events_of_the_order(client, apples, run_deliveries):
    order = place_order(client, apples)
    client.post(f"/orders/{order.id}/pay/", CARD)

    run_deliveries()

    page = timeline(client, order)
    assert 'id="order-status">Vendor notified<' in page
    assert re.search(r'<tr class="event">.*?<code>orders.OrderPaid</code>\s*</td>\s*<td>Published</td>', page, re.S)
    assert "<code>vendors.VendorNotified</code>" in page
    assert "vendors.NotifyVendor" not in page


def test_command_style_the_page_shows_the_retries_while_vendors_is_down_then_the_outcome(
    client, apples, run_deliveries
):
    StoreSettingsFactory(style="command")
    order = place_order(client, apples)
    client.post(f"/orders/{order.id}/pay/", CARD)
    FaultSetting.objects.create(context="vendors", unavailable=True)

    run_deliveries()

    page = timeline(client, order)
    assert re.search(r"Retrying</span>\s*attempt [1-9], last error: .*service unavailable: vendors is down", page)
    assert re.search(r'<tr class="command trouble">.*?vendors.NotifyVendor.*?Failed', page, re.S)

    FaultSetting.objects.filter(context="vendors").update(unavailable=False)
    run_deliveries(now=timezone.now() + timedelta(seconds=30))

    page = timeline(client, order)
    assert 'id="order-status">Vendor notified<' in page
    assert re.search(r"Succeeded</span>\s*attempt [2-9]\s", page)
    assert "acknowledged" in page
