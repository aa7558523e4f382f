"""Orders' catalog read model, kept from Vendors' product events.

Events may arrive late or twice (retries, replays): each carries the
product's revision, and only a newer revision changes the row.
"""

import messaging
from orders.models import CatalogProduct
from vendors.contracts import ProductListed, ProductPriceChanged, ProductStockChanged


@messaging.atomic_retried
def catalog_product_listed(event: ProductListed) -> CatalogProduct:
    fields = {
        "vendor_id": event.vendor_id,
        "vendor_name": event.vendor_name,
        "name": event.product_name,
        "price": event.price,
        "stock": event.stock,
        "revision": event.revision,
        "lab": event.lab,
    }
    product, created = CatalogProduct.objects.select_for_update().get_or_create(
        product_id=event.product_id, defaults=fields
    )
    if not created and event.revision > product.revision:
        CatalogProduct.objects.filter(pk=product.pk).update(**fields)
        product.refresh_from_db()
    return product


class ProductNotYetListedError(Exception):
    """A change arrived before its ProductListed: transient, the retry will find the product."""


@messaging.atomic_retried
def catalog_price_changed(event: ProductPriceChanged) -> bool:
    return _apply_change(event.product_id, event.revision, price=event.price)


@messaging.atomic_retried
def catalog_stock_changed(event: ProductStockChanged) -> bool:
    return _apply_change(event.product_id, event.revision, stock=event.stock)


def _apply_change(product_id: int, revision: int, **changes) -> bool:
    """Apply a newer revision; ignore an older or repeated one. True if the row changed."""
    updated = CatalogProduct.objects.filter(product_id=product_id, revision__lt=revision).update(
        revision=revision, **changes
    )
    if not updated and not CatalogProduct.objects.filter(product_id=product_id).exists():
        raise ProductNotYetListedError(f"product {product_id} is not in the catalog yet")
    return bool(updated)
