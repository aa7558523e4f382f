"""rebuild_catalog: Orders' catalog rebuilt from Vendors' stored product events, oldest first, all or nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError
from django.utils import timezone

from messaging.models import Delivery, Message
from messaging.runtime import signing
from orders.models import CatalogProduct
from tests.messaging.replay_helpers import run_command
from vendors.models import Vendor
from vendors.services import (
    lab_vendors_ensure,
    product_change_price,
    product_change_stock,
    product_list,
    vendor_create,
)

pytestmark = pytest.mark.django_db


def catalog() -> dict[int, tuple]:
    fields = ("vendor_id", "vendor_name", "name", "price", "stock", "revision")
    return {row[0]: row[1:] for row in CatalogProduct.objects.values_list("product_id", *fields)}


@pytest.fixture
def vendors_products(run_deliveries):
    """Two vendors' products, listed then changed through Vendors' services; the catalog handlers ran."""
    basket = vendor_create(name="Green Basket", kind=Vendor.Kind.STORE)
    bakery = vendor_create(name="Bread & Co", kind=Vendor.Kind.STORE)
    apples = product_list(vendor=basket, product_name="Apples", price="2.50", stock=10)
    bread = product_list(vendor=bakery, product_name="Bread", price="3.00", stock=5)
    product_change_price(product_id=apples.pk, price="2.75")
    product_change_stock(product_id=apples.pk, stock=7)
    product_change_price(product_id=bread.pk, price="3.20")
    run_deliveries()
    return apples, bread


def test_the_catalog_is_rebuilt_from_the_stored_events(vendors_products):
    apples, bread = vendors_products
    kept = catalog()
    assert kept[apples.pk] == (apples.vendor_id, "Green Basket", "Apples", Decimal("2.75"), 7, 3)
    CatalogProduct.objects.filter(product_id=apples.pk).delete()  # lost,
    CatalogProduct.objects.filter(product_id=bread.pk).update(price=Decimal("9.99"), revision=99)  # corrupted,
    CatalogProduct.objects.create(  # and one no event ever described
        product_id=4242, vendor_id=1, vendor_name="Nobody", name="Ghost", price=Decimal("1.00"), stock=1, revision=1
    )

    out = run_command("rebuild_catalog")

    assert out.splitlines() == [
        "Rebuilt the catalog from 5 events: 2 products (1 added, 1 removed, 1 changed, 0 unchanged).",
        f"  added: product {apples.pk}",
        "  removed: product 4242",
        f"  changed: product {bread.pk}",
    ]
    assert catalog() == kept


def test_a_rebuild_of_an_intact_catalog_changes_nothing(vendors_products):
    kept = catalog()

    out = run_command("rebuild_catalog")

    assert out == "Rebuilt the catalog from 5 events: 2 products (0 added, 0 removed, 0 changed, 2 unchanged).\n"
    assert catalog() == kept


def test_dry_run_says_what_would_change_and_changes_nothing(vendors_products):
    apples, _ = vendors_products
    CatalogProduct.objects.filter(product_id=apples.pk).delete()
    before = catalog()

    out = run_command("rebuild_catalog", "--dry-run")

    assert out.splitlines() == [
        "Dry run: would rebuild the catalog from 5 events: 2 products (1 added, 0 removed, 0 changed, 1 unchanged).",
        f"  added: product {apples.pk}",
        "Nothing was changed.",
    ]
    assert catalog() == before


def test_events_are_applied_in_the_order_they_were_published(vendors_products):
    apples, _ = vendors_products
    kept = catalog()
    listing = Message.objects.get(type="vendors.ProductListed", payload__product_id=apples.pk)
    moved(listing, created_at=timezone.now())  # as if listed after its own price and stock changes

    first_change = Message.objects.filter(payload__product_id=apples.pk).exclude(pk=listing.pk).earliest("created_at")

    with pytest.raises(CommandError) as failure:
        run_command("rebuild_catalog")

    assert str(failure.value).startswith(
        f"stored message {first_change.pk}: product {apples.pk} is not in the catalog yet "
        "and no ProductListed comes before it"
    )
    assert catalog() == kept


def moved(message: Message, *, created_at) -> None:
    """Give a stored message another publication time, signed as if it had been published then."""
    message.created_at = created_at
    message.signature = signing.sign(message)
    message.save(update_fields=["created_at", "signature"])


def test_an_event_altered_in_the_database_stops_the_rebuild_and_nothing_changes(vendors_products):
    apples, _ = vendors_products
    kept = catalog()
    change = Message.objects.filter(type="vendors.ProductPriceChanged", payload__product_id=apples.pk).get()
    Message.objects.filter(pk=change.pk).update(payload={**change.payload, "price": "0.01"})  # not re-signed

    with pytest.raises(CommandError) as failure:
        run_command("rebuild_catalog")

    assert str(failure.value) == (
        f"stored message {change.pk} (vendors.ProductPriceChanged): signature mismatch: "
        "the stored message was altered; nothing was changed"
    )
    assert catalog() == kept


def test_a_change_whose_listing_was_purged_stops_the_rebuild_and_nothing_changes(vendors_products):
    apples, _ = vendors_products
    kept = catalog()
    Message.objects.filter(type="vendors.ProductListed", payload__product_id=apples.pk).delete()

    with pytest.raises(CommandError, match=r"no ProductListed comes before it \(purged with --include-retained\?\)"):
        run_command("rebuild_catalog")

    assert catalog() == kept


def test_a_purge_keeps_the_events_the_rebuild_needs(vendors_products):
    kept = catalog()
    long_ago = timezone.now() - timedelta(days=60)
    for n, message in enumerate(Message.objects.order_by("created_at")):
        moved(message, created_at=long_ago + timedelta(seconds=n))  # 60 days ago, in the same order
    Delivery.objects.update(finished_at=long_ago)

    run_command("purge_messages", "--older-than", "30d", "--yes")

    assert Message.objects.filter(type__startswith="vendors.Product").count() == 5
    CatalogProduct.objects.all().delete()
    run_command("rebuild_catalog")
    assert catalog() == kept


def test_a_rebuilt_catalog_keeps_the_labs_products_apart(vendors_products, run_deliveries):
    apples, bread = vendors_products
    lab = lab_vendors_ensure(stock=100)
    run_deliveries()
    CatalogProduct.objects.update(lab=False)  # corrupted

    run_command("rebuild_catalog")

    lab_ids = {pid for vendor in lab for pid in vendor.product_ids}
    flags = dict(CatalogProduct.objects.values_list("product_id", "lab"))
    assert flags == {apples.pk: False, bread.pk: False, **dict.fromkeys(lab_ids, True)}
