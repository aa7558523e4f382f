"""The customer's order page and the vendor portal write times as the dashboard does: one format with its zone,
relative where people scan, the moment on hover."""

import re
import uuid

import pytest

from tests.orders.factories import paid_order
from tests.vendors.factories import ProductFactory, UserFactory, VendorFactory
from vendors.services import vendor_notify

pytestmark = pytest.mark.django_db

ABSOLUTE = r"\d{1,2} \w{3} \d{4}, \d\d:\d\d:\d\d UTC"
RELATIVE = rf'<time datetime="[^"]+" title="{ABSOLUTE}" data-relative>(now|\d+ s ago)</time>'


def test_the_order_page_says_when_it_was_placed_with_the_zone_and_its_payments_relatively(client):
    order = paid_order()
    page = client.get(f"/orders/{order.id}/").content.decode()
    assert re.search(rf"Placed <time datetime=\"[^\"]+\">{ABSOLUTE}</time> by", page)
    payments = re.search(r'id="payments-heading".*?</table>', page, re.S).group(0)
    assert re.search(RELATIVE, payments)


def test_the_vendor_portal_lists_notifications_relatively_with_the_moment_on_hover(client):
    alice = UserFactory(username="alice")
    bakery = VendorFactory(name="Bakery", slug="bakery", kind="store", staff=[alice])
    product = ProductFactory(vendor=bakery, name="Bread", stock=10)
    vendor_notify(
        vendor_id=bakery.pk, order_id=uuid.uuid4(), lines=[{"product_id": product.pk, "quantity": 1}], via="command"
    )
    client.force_login(alice)
    page = client.get("/vendors/bakery/").content.decode()
    assert len(re.findall(RELATIVE, page)) == 2  # received, last changed
    assert not re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", page)
