"""Vendors and their products (price and stock), published so Orders can keep its catalog, a read model.

Every change to a product bumps its revision and publishes the change in the
same transaction; Orders applies only a newer revision, so late or repeated
events are harmless. Bad input raises ``ValidationError`` and changes nothing.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.text import slugify

import messaging
from vendors.contracts import ProductListed, ProductPriceChanged, ProductStockChanged
from vendors.models import Product, Vendor


@messaging.atomic_retried
def vendor_create(*, name: str, kind: str, slug: str | None = None, lab: bool = False) -> Vendor:
    """A new vendor; ``lab``: one of the trade-off lab's, whose products the storefront leaves out."""
    name = name.strip()
    vendor = Vendor(name=name, kind=kind, slug=slug if slug is not None else slugify(name), lab=lab)
    vendor.full_clean()
    vendor.save()
    return vendor


@messaging.atomic_retried
def vendor_staff_add(*, vendor: Vendor, user) -> bool:
    """Put a user on the vendor's staff (they see it in the portal); False if they already were."""
    if vendor.staff.filter(pk=user.pk).exists():
        return False
    vendor.staff.add(user)
    return True


@messaging.atomic_retried
def product_list(*, vendor: Vendor, product_name: str, price, stock: int) -> Product:
    """Put a product on sale: revision 1, announced with ``ProductListed``."""
    product = Product(vendor=vendor, name=product_name.strip(), price=_price(price), stock=stock, revision=1)
    product.full_clean()
    product.save()
    messaging.publish(product_listed(product))
    return product


@messaging.atomic_retried
def product_change_price(*, product_id: int, price) -> Product:
    product = Product.objects.select_for_update().get(pk=product_id)
    new_price = _price(price)
    if new_price == product.price:
        return product
    product.price = new_price
    product.full_clean()
    product.revision += 1
    product.save(update_fields=["price", "revision"])
    messaging.publish(ProductPriceChanged(product_id=product.pk, price=product.price, revision=product.revision))
    return product


@messaging.atomic_retried
def product_change_stock(*, product_id: int, stock: int) -> Product:
    product = Product.objects.select_for_update().get(pk=product_id)
    if isinstance(stock, bool) or not isinstance(stock, int) or stock < 0:
        raise ValidationError({"stock": f"Stock must be a whole number, 0 or more (not {stock!r})."})
    return stock_move(product, by=stock - product.stock)


def stock_move(product: Product, *, by: int) -> Product:
    """Add ``by`` (negative: take) to a product the caller has locked; publish the new stock."""
    if by == 0:
        return product
    if product.stock + by < 0:
        raise ValidationError({"stock": f"Only {product.stock} of {product.name} in stock, cannot take {-by}."})
    product.stock += by
    product.revision += 1
    product.save(update_fields=["stock", "revision"])
    messaging.publish(ProductStockChanged(product_id=product.pk, stock=product.stock, revision=product.revision))
    return product


@messaging.atomic_retried
def products_republish() -> int:
    """Publish ``ProductListed`` for every product at its current revision, to rebuild read models."""
    products = Product.objects.select_related("vendor").order_by("pk")
    for product in products:
        messaging.publish(product_listed(product))
    return len(products)


def product_listed(product: Product) -> ProductListed:
    return ProductListed(
        product_id=product.pk,
        vendor_id=product.vendor_id,
        vendor_name=product.vendor.name,
        product_name=product.name,
        price=product.price,
        stock=product.stock,
        revision=product.revision,
        lab=product.vendor.lab,
    )


def _price(value) -> Decimal:
    try:
        price = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError({"price": f"Enter a price such as 3.50 (not {value!r})."}) from None
    if not price.is_finite():
        raise ValidationError({"price": f"Enter a price such as 3.50 (not {value!r})."})
    return price
