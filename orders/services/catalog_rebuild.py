"""Rebuild Orders' catalog read model from Vendors' product events, as stored by messaging.

The catalog is only ever fed by these events, so it can be thrown away and
rebuilt from them: in one transaction, oldest event first, through the same
service functions the handlers call. That is why ``purge_messages`` keeps them
(``catalog_events_retain``, called at start-up).
"""

from dataclasses import dataclass, field

from django.db import transaction

import messaging
from messaging.selectors import StoredMessageError, retain, stored_messages
from orders.models import CatalogProduct
from orders.services import catalog
from vendors.contracts import ProductListed, ProductPriceChanged, ProductStockChanged

APPLY = {
    ProductListed: catalog.catalog_product_listed,
    ProductPriceChanged: catalog.catalog_price_changed,
    ProductStockChanged: catalog.catalog_stock_changed,
}
CATALOG_EVENTS = tuple(APPLY)


class CatalogRebuildError(Exception):
    """The stored events cannot rebuild the catalog; nothing was changed."""


@dataclass
class CatalogRebuild:
    events: int = 0
    products: int = 0
    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)

    @property
    def unchanged(self) -> int:
        return self.products - len(self.added) - len(self.changed)


def catalog_events_retain() -> None:
    retain(*CATALOG_EVENTS, reason="Orders rebuilds its catalog from them (manage.py rebuild_catalog)")


@messaging.atomic_retried
def catalog_rebuild(*, dry_run: bool = False) -> CatalogRebuild:
    """Replace the catalog with the one the stored events describe; with ``dry_run``, roll it back."""
    before = _snapshot()
    CatalogProduct.objects.all().delete()
    report = CatalogRebuild()
    try:
        for message_id, event in stored_messages(*CATALOG_EVENTS):
            _apply(message_id, event)
            report.events += 1
    except StoredMessageError as error:
        raise CatalogRebuildError(f"{error}; nothing was changed") from error
    after = _snapshot()
    report.products = len(after)
    report.added = sorted(after.keys() - before.keys())
    report.removed = sorted(before.keys() - after.keys())
    report.changed = sorted(pk for pk in after.keys() & before.keys() if after[pk] != before[pk])
    if dry_run:
        transaction.set_rollback(True)
    return report


def _apply(message_id, event) -> None:
    try:
        APPLY[type(event)](event)
    except catalog.ProductNotYetListedError as error:
        raise CatalogRebuildError(
            f"stored message {message_id}: {error} and no ProductListed comes before it "
            "(purged with --include-retained?); nothing was changed"
        ) from error


def _snapshot() -> dict[int, tuple]:
    fields = ("vendor_id", "vendor_name", "name", "price", "stock", "revision", "lab")
    return {row[0]: row[1:] for row in CatalogProduct.objects.values_list("product_id", *fields)}
