import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from messaging.models import Message
from tests.vendors.factories import ProductFactory, VendorFactory
from vendors.models import CancelledOrder, Product, Vendor, VendorNotification
from vendors.services import (
    NotificationStateError,
    notification_accept,
    notification_prepare,
    notifications_cancel,
    product_change_price,
    product_change_stock,
    product_list,
    products_republish,
    vendor_create,
    vendor_notify,
)

pytestmark = pytest.mark.django_db

Status = VendorNotification.Status


def published(type_name: str) -> list[dict]:
    return [m.payload for m in Message.objects.filter(type=f"vendors.{type_name}").order_by("created_at")]


def correlations(type_name: str) -> set[str]:
    return set(Message.objects.filter(type=f"vendors.{type_name}").values_list("correlation_id", flat=True))


# Products


def test_a_vendor_gets_a_slug_from_its_name():
    vendor = vendor_create(name="  Corner Shop & Co ", kind="store")

    assert (vendor.name, vendor.slug, vendor.kind) == ("Corner Shop & Co", "corner-shop-co", "store")


@pytest.mark.parametrize(
    ("name", "kind", "error"),
    [
        ("", "store", "This field cannot be blank"),
        ("Existing", "store", "Vendor with this Name already exists"),
        ("New", "bakery", "Value 'bakery' is not a valid choice"),
        ("x" * 101, "store", "at most 100 characters"),
    ],
)
def test_a_vendor_with_bad_input_is_refused_and_nothing_is_created(name, kind, error):
    VendorFactory(name="Existing")

    with pytest.raises(ValidationError, match=error):
        vendor_create(name=name, kind=kind)

    assert list(Vendor.objects.values_list("name", flat=True)) == ["Existing"]


def test_listing_a_product_publishes_it_at_revision_1():
    vendor = VendorFactory(name="Green Grocer")

    product = product_list(vendor=vendor, product_name="Apples", price="3.20", stock=12)

    assert (product.price, product.stock, product.revision) == (Decimal("3.20"), 12, 1)
    assert published("ProductListed") == [
        {
            "product_id": product.pk,
            "vendor_id": vendor.pk,
            "vendor_name": "Green Grocer",
            "product_name": "Apples",
            "price": "3.20",
            "stock": 12,
            "revision": 1,
            "lab": False,
        }
    ]


@pytest.mark.parametrize(
    ("name", "price", "stock", "error"),
    [
        ("Pears", "0", 1, "greater than or equal to 0.01"),
        ("Pears", "-1.00", 1, "greater than or equal to 0.01"),
        ("Pears", "abc", 1, "Enter a price such as 3.50"),
        ("Pears", "1.005", 1, "no more than 2 decimal places"),
        ("Pears", "1.00", -1, "greater than or equal to 0"),
        ("Pears", "1.00", "many", "must be an integer"),
        ("", "1.00", 1, "This field cannot be blank"),
        ("Apples", "1.00", 1, "already exists"),
    ],
)
def test_a_product_with_bad_input_is_refused_and_nothing_is_published(name, price, stock, error):
    existing = ProductFactory(name="Apples")

    with pytest.raises(ValidationError, match=error):
        product_list(vendor=existing.vendor, product_name=name, price=price, stock=stock)

    assert list(Product.objects.all()) == [existing]
    assert not Message.objects.exists()


def test_a_new_price_bumps_the_revision_and_is_published():
    product = ProductFactory(price=Decimal("2.50"), revision=3)

    product_change_price(product_id=product.pk, price="2.75")

    product.refresh_from_db()
    assert (product.price, product.revision) == (Decimal("2.75"), 4)
    assert published("ProductPriceChanged") == [{"product_id": product.pk, "price": "2.75", "revision": 4}]


def test_the_same_price_again_changes_and_publishes_nothing():
    product = ProductFactory(price=Decimal("2.50"))

    product_change_price(product_id=product.pk, price=Decimal("2.5"))

    product.refresh_from_db()
    assert product.revision == 1
    assert not Message.objects.exists()


@pytest.mark.parametrize("price", ["0", "-3", "nope", "1e400"])
def test_a_bad_price_change_is_refused_and_changes_nothing(price):
    product = ProductFactory(price=Decimal("2.50"))

    with pytest.raises(ValidationError):
        product_change_price(product_id=product.pk, price=price)

    product.refresh_from_db()
    assert (product.price, product.revision) == (Decimal("2.50"), 1)
    assert not Message.objects.exists()


def test_a_stock_change_bumps_the_revision_and_is_published():
    product = ProductFactory(stock=10)

    product_change_stock(product_id=product.pk, stock=4)

    product.refresh_from_db()
    assert (product.stock, product.revision) == (4, 2)
    assert published("ProductStockChanged") == [{"product_id": product.pk, "stock": 4, "revision": 2}]


@pytest.mark.parametrize("stock", [-1, "7", 2.5, True])
def test_a_bad_stock_change_is_refused_and_changes_nothing(stock):
    product = ProductFactory(stock=10)

    with pytest.raises(ValidationError, match="Stock must be a whole number"):
        product_change_stock(product_id=product.pk, stock=stock)

    product.refresh_from_db()
    assert (product.stock, product.revision) == (10, 1)
    assert not Message.objects.exists()


def test_republishing_the_products_lists_every_product_at_its_current_revision():
    first, second = ProductFactory(revision=5), ProductFactory()

    assert products_republish() == 2

    assert [(p["product_id"], p["revision"]) for p in published("ProductListed")] == [(first.pk, 5), (second.pk, 1)]


# Notifications of paid orders


@pytest.fixture
def shelf():
    """A vendor with apples (10 in stock) and bread (2 in stock)."""
    vendor = VendorFactory()
    return {
        "vendor": vendor,
        "apples": ProductFactory(vendor=vendor, name="Apples", stock=10),
        "bread": ProductFactory(vendor=vendor, name="Bread", stock=2),
    }


def notify(shelf, order_id, *, apples=3, bread=1, via="event"):
    lines = [
        {"product_id": shelf["apples"].pk, "quantity": apples},
        {"product_id": shelf["bread"].pk, "quantity": bread},
    ]
    return vendor_notify(vendor_id=shelf["vendor"].pk, order_id=order_id, lines=lines, via=via)


def stock(shelf) -> tuple[int, int]:
    return tuple(Product.objects.get(pk=shelf[name].pk).stock for name in ("apples", "bread"))


def test_a_notified_order_reserves_its_stock_and_says_so_in_the_order_conversation(shelf):
    order_id = uuid.uuid4()

    notification = notify(shelf, order_id)

    assert (notification.status, notification.via) == (Status.NOTIFIED, "event")
    assert notification.lines == [
        {"product_id": shelf["apples"].pk, "quantity": 3},
        {"product_id": shelf["bread"].pk, "quantity": 1},
    ]
    assert stock(shelf) == (7, 1)
    assert [(p["stock"], p["revision"]) for p in published("ProductStockChanged")] == [(7, 2), (1, 2)]
    assert published("VendorNotified") == [{"order_id": str(order_id), "vendor_id": shelf["vendor"].pk}]
    assert correlations("ProductStockChanged") | correlations("VendorNotified") == {str(order_id)}


def test_notifying_the_same_order_again_returns_the_first_notification_and_sends_nothing(shelf):
    order_id = uuid.uuid4()
    first = notify(shelf, order_id)
    messages_before = Message.objects.count()

    again = notify(shelf, order_id, via="command")

    assert again.pk == first.pk
    assert (again.status, again.via) == (Status.NOTIFIED, "event")
    assert Message.objects.count() == messages_before
    assert stock(shelf) == (7, 1)


def test_lines_naming_one_product_twice_reserve_the_sum():
    product = ProductFactory(stock=5)
    lines = [{"product_id": product.pk, "quantity": 2}, {"product_id": product.pk, "quantity": 3}]

    notification = vendor_notify(vendor_id=product.vendor_id, order_id=uuid.uuid4(), lines=lines, via="event")

    assert notification.lines == [{"product_id": product.pk, "quantity": 5}]
    product.refresh_from_db()
    assert product.stock == 0


def test_short_stock_rejects_the_order_reserves_nothing_and_names_the_short_products(shelf):
    order_id = uuid.uuid4()

    notification = notify(shelf, order_id, apples=3, bread=5)

    assert notification.status == Status.REJECTED
    assert notification.reason == "Not enough in stock: Bread (5 wanted, 2 left)."
    assert stock(shelf) == (10, 2)
    assert published("ProductStockChanged") == []
    assert published("VendorNotified") == []
    assert published("StockUnavailable") == [
        {"order_id": str(order_id), "vendor_id": shelf["vendor"].pk, "product_ids": [shelf["bread"].pk]}
    ]


def test_a_product_of_another_vendor_is_unavailable_here(shelf):
    elsewhere = ProductFactory(stock=100)
    lines = [{"product_id": elsewhere.pk, "quantity": 1}]

    notification = vendor_notify(vendor_id=shelf["vendor"].pk, order_id=uuid.uuid4(), lines=lines, via="command")

    assert notification.status == Status.REJECTED
    assert published("StockUnavailable")[0]["product_ids"] == [elsewhere.pk]
    elsewhere.refresh_from_db()
    assert elsewhere.stock == 100


def test_an_inactive_vendor_rejects_the_order(shelf):
    Vendor.objects.filter(pk=shelf["vendor"].pk).update(active=False)

    notification = notify(shelf, uuid.uuid4())

    assert notification.status == Status.REJECTED
    assert notification.reason.endswith("is not taking orders (inactive).")
    assert stock(shelf) == (10, 2)
    assert len(published("StockUnavailable")) == 1


def test_an_unknown_vendor_answers_stock_unavailable_without_keeping_a_row():
    order_id = uuid.uuid4()

    notification = vendor_notify(
        vendor_id=404, order_id=order_id, lines=[{"product_id": 7, "quantity": 1}], via="command"
    )

    assert (notification.pk, notification.status) == (None, Status.REJECTED)
    assert not VendorNotification.objects.exists()
    assert published("StockUnavailable") == [{"order_id": str(order_id), "vendor_id": 404, "product_ids": [7]}]


@pytest.mark.parametrize(
    ("lines", "via", "error"),
    [
        ([], "event", "at least one line"),
        ([{"product_id": 1, "quantity": 0}], "event", "greater than 0"),
        ([{"product_id": 1, "quantity": 1}], "carrier pigeon", "via must be one of"),
    ],
)
def test_a_malformed_notification_is_refused_and_changes_nothing(shelf, lines, via, error):
    with pytest.raises(ValueError, match=error):
        vendor_notify(vendor_id=shelf["vendor"].pk, order_id=uuid.uuid4(), lines=lines, via=via)

    assert not VendorNotification.objects.exists()
    assert not Message.objects.exists()


def test_accepting_publishes_the_reserved_lines_in_the_order_conversation(shelf):
    order_id = uuid.uuid4()
    notification = notify(shelf, order_id)

    accepted = notification_accept(notification_id=notification.pk)

    assert accepted.status == Status.ACCEPTED
    assert published("VendorAccepted") == [
        {"order_id": str(order_id), "vendor_id": shelf["vendor"].pk, "lines": notification.lines}
    ]
    assert correlations("VendorAccepted") == {str(order_id)}


def test_preparing_an_accepted_order_publishes_order_prepared(shelf):
    order_id = uuid.uuid4()
    notification = notify(shelf, order_id)
    notification_accept(notification_id=notification.pk)

    prepared = notification_prepare(notification_id=notification.pk)

    assert prepared.status == Status.PREPARED
    assert published("OrderPrepared") == [{"order_id": str(order_id), "vendor_id": shelf["vendor"].pk}]
    assert correlations("OrderPrepared") == {str(order_id)}


@pytest.mark.parametrize(
    ("status", "action", "error"),
    [
        (Status.NOTIFIED, notification_prepare, "must be accepted before it can be marked prepared"),
        (Status.ACCEPTED, notification_accept, "is already accepted: nothing changed"),
        (Status.PREPARED, notification_accept, "is already prepared: nothing changed"),
        (Status.PREPARED, notification_prepare, "is already prepared: nothing changed"),
        (Status.REJECTED, notification_accept, r"was rejected \(stock unavailable\): there is nothing to accept"),
        (Status.CANCELLED, notification_prepare, "was cancelled: there is nothing to prepare"),
    ],
)
def test_an_illegal_action_is_refused_with_a_clear_message_and_changes_nothing(shelf, status, action, error):
    notification = notify(shelf, uuid.uuid4())
    VendorNotification.objects.filter(pk=notification.pk).update(status=status)
    messages_before = Message.objects.count()

    with pytest.raises(NotificationStateError, match=f"^Order {str(notification.order_id)[:8]} {error}"):
        action(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.status == status
    assert Message.objects.count() == messages_before


def test_cancelling_an_order_releases_what_its_notifications_reserved(shelf):
    order_id = uuid.uuid4()
    notification = notify(shelf, order_id)
    notification_accept(notification_id=notification.pk)
    rejected = vendor_notify(
        vendor_id=VendorFactory().pk, order_id=order_id, lines=[{"product_id": 1, "quantity": 1}], via="event"
    )

    cancelled = notifications_cancel(order_id=order_id, reason="stock unavailable")

    assert cancelled == 1
    notification.refresh_from_db()
    rejected.refresh_from_db()
    assert (notification.status, rejected.status) == (Status.CANCELLED, Status.REJECTED)
    assert notification.reason == "stock unavailable"
    assert stock(shelf) == (10, 2)
    assert [(p["stock"], p["revision"]) for p in published("ProductStockChanged")][-2:] == [(10, 3), (2, 3)]
    assert correlations("ProductStockChanged") == {str(order_id)}


def test_cancelling_twice_releases_once(shelf):
    order_id = uuid.uuid4()
    notify(shelf, order_id)
    notifications_cancel(order_id=order_id, reason="timeout")

    assert notifications_cancel(order_id=order_id, reason="timeout") == 0

    assert stock(shelf) == (10, 2)
    assert CancelledOrder.objects.get().reason == "timeout"


def test_a_notification_arriving_after_the_order_was_cancelled_reserves_nothing(shelf):
    order_id = uuid.uuid4()
    notifications_cancel(order_id=order_id, reason="another vendor had no stock")

    notification = notify(shelf, order_id, via="command")

    assert notification.status == Status.CANCELLED
    assert notification.reason == "another vendor had no stock"
    assert stock(shelf) == (10, 2)
    assert published("VendorNotified") == published("ProductStockChanged") == []
