"""The trade-off lab's vendors: made and kept stocked by one service, their products published as the lab's."""

import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from messaging.models import Message
from tests.vendors.factories import ProductFactory, UserFactory, VendorFactory
from vendors import selectors
from vendors.contracts import ProductListed
from vendors.models import Product, Vendor, VendorNotification
from vendors.services import (
    LabVendor,
    lab_vendors_ensure,
    notification_accept,
    product_change_stock,
    products_republish,
    vendor_notify,
)

pytestmark = pytest.mark.django_db

Status = VendorNotification.Status


def published(type_name: str) -> list[dict]:
    return [m.payload for m in Message.objects.filter(type=f"vendors.{type_name}").order_by("created_at", "id")]


def test_the_lab_vendors_are_made_each_with_three_products_listed_as_the_labs():
    lab = lab_vendors_ensure(stock=100)

    assert [vendor.name for vendor in lab] == ["Lab vendor A", "Lab vendor B", "Lab vendor C"]
    assert all(isinstance(vendor, LabVendor) and len(vendor.product_ids) == 3 for vendor in lab)
    assert set(Vendor.objects.values_list("name", "lab", "active")) == {(v.name, True, True) for v in lab}
    products = Product.objects.filter(vendor_id=lab[0].vendor_id).order_by("pk")
    assert [(p.pk, p.name, p.price, p.stock) for p in products] == [
        (lab[0].product_ids[0], "Lab product A1", Decimal("2.00"), 100),
        (lab[0].product_ids[1], "Lab product A2", Decimal("3.50"), 100),
        (lab[0].product_ids[2], "Lab product A3", Decimal("5.00"), 100),
    ]
    listed = published("ProductListed")
    assert sorted(p["product_id"] for p in listed) == sorted(pid for vendor in lab for pid in vendor.product_ids)
    assert {(p["lab"], p["stock"]) for p in listed} == {(True, 100)}


def test_ensuring_the_lab_vendors_again_changes_nothing_and_publishes_nothing():
    first = lab_vendors_ensure(stock=100)
    messages_before = Message.objects.count()

    again = lab_vendors_ensure(stock=100)

    assert again == first
    assert Message.objects.count() == messages_before
    assert (Vendor.objects.count(), Product.objects.count()) == (3, 9)


def test_a_lab_product_below_half_its_stock_is_restocked_through_a_stock_change():
    lab = lab_vendors_ensure(stock=100)
    low, half = lab[1].product_ids[0], lab[1].product_ids[1]
    product_change_stock(product_id=low, stock=49)
    product_change_stock(product_id=half, stock=50)

    lab_vendors_ensure(stock=100)

    assert dict(Product.objects.filter(pk__in=[low, half]).values_list("pk", "stock")) == {low: 100, half: 50}
    changes = published("ProductStockChanged")
    assert (changes[-1]["product_id"], changes[-1]["stock"]) == (low, 100)
    assert len(changes) == 3  # the two set by hand, then the restock


def test_a_lab_vendor_staff_deactivated_takes_orders_again():
    lab_vendors_ensure(stock=100)
    Vendor.objects.filter(name="Lab vendor B").update(active=False)

    lab_vendors_ensure(stock=100)

    assert Vendor.objects.get(name="Lab vendor B").active


def test_a_shop_vendor_of_a_lab_vendors_name_is_not_taken_over():
    VendorFactory(name="Lab vendor B", slug="shop-b")

    with pytest.raises(ValidationError, match="one of the shop's vendors"):
        lab_vendors_ensure(stock=100)

    assert list(Vendor.objects.values_list("name", "lab")) == [("Lab vendor B", False)]
    assert not Message.objects.exists()


@pytest.mark.parametrize("stock", [0, -5, True, "100"])
def test_the_lab_stock_must_be_a_positive_whole_number(stock):
    with pytest.raises(ValueError, match="whole number"):
        lab_vendors_ensure(stock=stock)

    assert not Vendor.objects.exists()


def test_republishing_the_catalog_says_which_products_are_the_labs():
    shop_product = ProductFactory()
    lab = lab_vendors_ensure(stock=100)
    Message.objects.all().delete()

    products_republish()

    lab_ids = {pid for vendor in lab for pid in vendor.product_ids}
    flags = {p["product_id"]: p["lab"] for p in published("ProductListed")}
    assert flags == {shop_product.pk: False, **dict.fromkeys(lab_ids, True)}


def test_a_product_listed_before_the_lab_existed_is_a_shop_product():
    old = {"product_id": 1, "vendor_id": 1, "vendor_name": "V", "product_name": "P", "price": "1.00", "stock": 1}

    assert ProductListed.model_validate({**old, "revision": 1}).lab is False


# The lab's reads


def notified(vendor, product, order_id=None):
    lines = [{"product_id": product.pk, "quantity": 1}]
    return vendor_notify(vendor_id=vendor.pk, order_id=order_id or uuid.uuid4(), lines=lines, via="command")


def test_notifications_to_accept_are_those_of_the_orders_and_vendors_asked_for_still_notified_oldest_first():
    one, two, other = VendorFactory(), VendorFactory(), VendorFactory()
    first_order, second_order, unasked_order = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    first = notified(one, ProductFactory(vendor=one), first_order)
    accepted = notified(two, ProductFactory(vendor=two), first_order)
    notification_accept(notification_id=accepted.pk, actor="lab")
    second = notified(two, ProductFactory(vendor=two), second_order)
    notified(other, ProductFactory(vendor=other), second_order)  # a vendor not asked for
    notified(one, ProductFactory(vendor=one), unasked_order)  # an order not asked for

    waiting = selectors.notifications_to_accept(order_ids=[first_order, second_order], vendor_ids=[one.pk, two.pk])

    assert waiting == [first.pk, second.pk]


def test_notification_rows_counts_every_notification_of_the_orders_whatever_its_status():
    vendor, other = VendorFactory(), VendorFactory()
    order_id = uuid.uuid4()
    accepted = notified(vendor, ProductFactory(vendor=vendor), order_id)
    notification_accept(notification_id=accepted.pk, actor="lab")
    notified(other, ProductFactory(vendor=other, stock=0), order_id)  # rejected: out of stock
    notified(vendor, ProductFactory(vendor=vendor))  # another order

    assert selectors.notification_rows(order_ids=[order_id]) == 2
    assert selectors.notification_rows(order_ids=[]) == 0


# The lab's vendors in the portal and the admin


def test_the_portal_marks_the_labs_vendors(client):
    lab_vendors_ensure(stock=100)
    VendorFactory(name="Bakery")
    client.force_login(UserFactory(username="sam", is_staff=True))

    listing = client.get("/vendors/").content.decode()
    page = client.get("/vendors/lab-vendor-a/").content.decode()

    assert listing.count(">lab</span>") == 3
    assert '<span class="badge">Lab</span>' in page
    assert "kept out of the storefront" in page


def test_the_admin_lists_the_labs_vendors_apart(admin_client):
    lab_vendors_ensure(stock=100)
    VendorFactory(name="Bakery")

    response = admin_client.get(reverse("admin:vendors_vendor_changelist"), {"lab__exact": "1"})

    assert [vendor.name for vendor in response.context["cl"].result_list] == [
        "Lab vendor A",
        "Lab vendor B",
        "Lab vendor C",
    ]
    assert str(Vendor.objects.get(name="Lab vendor A")) == "Lab vendor A (lab)"
