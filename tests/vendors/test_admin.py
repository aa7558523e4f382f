"""Vendors in the admin: products change through the services, so Orders' catalog hears of every change."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from messaging.models import Message
from tests.vendors.factories import ProductFactory, UserFactory, VendorFactory
from vendors.models import CancelledOrder, Product, Vendor, VendorNotification
from vendors.services import notifications_cancel, vendor_notify

pytestmark = pytest.mark.django_db

MODELS = [Vendor, Product, VendorNotification, CancelledOrder]


def changelist(model) -> str:
    return reverse(f"admin:vendors_{model._meta.model_name}_changelist")


def change(model, pk) -> str:
    return reverse(f"admin:vendors_{model._meta.model_name}_change", args=[pk])


def add(model) -> str:
    return reverse(f"admin:vendors_{model._meta.model_name}_add")


def published(type_name: str) -> list[dict]:
    return [m.payload for m in Message.objects.filter(type=f"vendors.{type_name}").order_by("created_at")]


@pytest.fixture
def history():
    """A product, a notification of an order, and a cancelled order."""
    product = ProductFactory(name="Flour", stock=10)
    order_id = uuid.uuid4()
    notification = vendor_notify(
        vendor_id=product.vendor_id, order_id=order_id, lines=[{"product_id": product.pk, "quantity": 1}], via="event"
    )
    notifications_cancel(order_id=uuid.uuid4(), reason="vendor did not answer")
    return {"product": product, "notification": notification}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_changelist_and_change_page_renders_with_data(admin_client, history, model):
    response = admin_client.get(changelist(model))
    assert response.status_code == 200
    assert response.context["cl"].result_list, "the fixture should put rows in every table"

    first = response.context["cl"].result_list[0]
    assert admin_client.get(change(model, first.pk)).status_code == 200


@pytest.mark.parametrize("model", [Vendor, Product], ids=lambda m: m.__name__)
def test_the_add_pages_render(admin_client, model):
    assert admin_client.get(add(model)).status_code == 200


def test_saving_a_new_price_in_the_admin_publishes_it(admin_client):
    product = ProductFactory(price=Decimal("2.50"), stock=10)

    response = admin_client.post(change(Product, product.pk), {"price": "2.99", "stock": "10"})

    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.price, product.revision) == (Decimal("2.99"), 2)
    assert published("ProductPriceChanged") == [{"product_id": product.pk, "price": "2.99", "revision": 2}]
    assert published("ProductStockChanged") == []


def test_saving_a_new_stock_in_the_admin_publishes_it(admin_client):
    product = ProductFactory(price=Decimal("2.50"), stock=10)

    admin_client.post(change(Product, product.pk), {"price": "2.50", "stock": "25"})

    product.refresh_from_db()
    assert (product.stock, product.revision) == (25, 2)
    assert published("ProductStockChanged") == [{"product_id": product.pk, "stock": 25, "revision": 2}]
    assert published("ProductPriceChanged") == []


def test_saving_a_product_unchanged_publishes_nothing(admin_client):
    product = ProductFactory(price=Decimal("2.50"), stock=10)

    response = admin_client.post(change(Product, product.pk), {"price": "2.50", "stock": "10"})

    assert response.status_code == 302
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("price", "stock", "error"),
    [
        ("0", "10", "greater than or equal to 0.01"),
        ("abc", "10", "Enter a number"),
        ("2.50", "-1", "greater than or equal to 0"),
    ],
)
def test_a_bad_price_or_stock_in_the_admin_shows_an_error_and_changes_nothing(admin_client, price, stock, error):
    product = ProductFactory(price=Decimal("2.50"), stock=10)

    response = admin_client.post(change(Product, product.pk), {"price": price, "stock": stock})

    assert response.status_code == 200
    assert error in response.content.decode()
    product.refresh_from_db()
    assert (product.price, product.stock, product.revision) == (Decimal("2.50"), 10, 1)
    assert not Message.objects.exists()


def test_a_products_name_and_vendor_are_read_only_once_listed(admin_client):
    product = ProductFactory(name="Flour")
    original_vendor, other = product.vendor_id, VendorFactory()

    admin_client.post(
        change(Product, product.pk), {"name": "Sugar", "vendor": other.pk, "price": "2.50", "stock": "10"}
    )

    product.refresh_from_db()
    assert (product.name, product.vendor_id) == ("Flour", original_vendor)


def test_adding_a_product_in_the_admin_publishes_it_as_listed(admin_client):
    vendor = VendorFactory(name="Mill")

    response = admin_client.post(
        add(Product), {"vendor": vendor.pk, "name": "Rye flour", "price": "1.80", "stock": "40"}
    )

    assert response.status_code == 302
    product = Product.objects.get(name="Rye flour")
    assert published("ProductListed") == [
        {
            "product_id": product.pk,
            "vendor_id": vendor.pk,
            "vendor_name": "Mill",
            "product_name": "Rye flour",
            "price": "1.80",
            "stock": 40,
            "revision": 1,
            "lab": False,
        }
    ]


def test_a_duplicate_product_name_is_refused_in_the_admin(admin_client):
    product = ProductFactory(name="Flour")

    response = admin_client.post(
        add(Product), {"vendor": product.vendor_id, "name": "Flour", "price": "1", "stock": "1"}
    )

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Product.objects.count() == 1
    assert not Message.objects.exists()


def test_products_cannot_be_deleted_from_the_admin(admin_client):
    product = ProductFactory()

    response = admin_client.post(reverse("admin:vendors_product_delete", args=[product.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert Product.objects.filter(pk=product.pk).exists()


def test_a_vendor_is_added_with_its_staff(admin_client):
    alice = UserFactory(username="alice")

    response = admin_client.post(
        add(Vendor),
        {
            "name": "Corner Shop",
            "slug": "corner-shop",
            "kind": "store",
            "active": "on",
            "staff": [alice.pk],
            "products-TOTAL_FORMS": "0",
            "products-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    assert list(Vendor.objects.get(slug="corner-shop").staff.all()) == [alice]


def test_a_vendor_page_lists_its_products_and_links_to_listing_a_new_one(admin_client):
    product = ProductFactory(name="Flour")

    html = admin_client.get(change(Vendor, product.vendor_id)).content.decode()

    assert "Flour" in html
    assert f"{add(Product)}?vendor={product.vendor_id}" in html


def test_notifications_are_found_by_order_id_or_its_prefix(admin_client, history):
    notification = history["notification"]
    VendorNotification.objects.create(
        vendor=notification.vendor, order_id=uuid.uuid4(), lines=[], via="event", status="rejected"
    )

    by_id = admin_client.get(changelist(VendorNotification), {"q": str(notification.order_id)})
    by_prefix = admin_client.get(changelist(VendorNotification), {"q": str(notification.order_id)[:8]})

    assert [n.pk for n in by_id.context["cl"].result_list] == [notification.pk]
    assert [n.pk for n in by_prefix.context["cl"].result_list] == [notification.pk]


def test_notification_history_is_read_only(admin_client, history):
    notification = history["notification"]

    assert admin_client.get(add(VendorNotification)).status_code == 403
    assert admin_client.post(change(VendorNotification, notification.pk), {"status": "prepared"}).status_code == 403
    notification.refresh_from_db()
    assert notification.status == VendorNotification.Status.NOTIFIED


def test_a_notification_links_to_its_orders_messages_and_journal(admin_client, history):
    notification = history["notification"]

    html = admin_client.get(change(VendorNotification, notification.pk)).content.decode()

    for model in ("message", "journalentry"):
        assert f"{reverse(f'admin:messaging_{model}_changelist')}?q={notification.order_id}" in html
