"""The trade-off lab's vendors: three of them, three products each, kept stocked for its experiments.

They are ordinary vendors flagged ``lab``. Their products are listed and
restocked through the same services as any other vendor's, so Orders' catalog
learns of them from the same events, through the workers; the storefront
leaves them out.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

import messaging
from vendors.models import Product, Vendor
from vendors.services.products import product_change_stock, product_list, vendor_create

LAB_VENDOR_NAMES = ("Lab vendor A", "Lab vendor B", "Lab vendor C")
LAB_PRICES = (Decimal("2.00"), Decimal("3.50"), Decimal("5.00"))  # products 1, 2 and 3 of each vendor


@dataclass(frozen=True)
class LabVendor:
    vendor_id: int
    name: str
    product_ids: tuple[int, ...]


@messaging.atomic_retried
def lab_vendors_ensure(*, stock: int = 1_000_000) -> list[LabVendor]:
    """Make sure the lab's vendors exist, take orders and have their products, each with ``stock`` at least half
    full (restocked to ``stock`` below that). Running it again changes nothing that is already so."""
    if isinstance(stock, bool) or not isinstance(stock, int) or stock < 1:
        raise ValueError(f"stock must be a whole number, 1 or more (not {stock!r})")
    return [_lab_vendor_ensure(name, stock=stock) for name in LAB_VENDOR_NAMES]


def _lab_vendor_ensure(name: str, *, stock: int) -> LabVendor:
    vendor = Vendor.objects.select_for_update().filter(name=name).first()
    if vendor is None:
        vendor = vendor_create(name=name, kind=Vendor.Kind.STORE, lab=True)
    elif not vendor.lab:
        raise ValidationError({"name": f"{name} is one of the shop's vendors: the lab cannot use it."})
    if not vendor.active:
        vendor.active = True  # staff deactivated it: the lab's orders need it taking orders
        vendor.save(update_fields=["active"])
    letter = name.removeprefix("Lab vendor ")
    product_ids = tuple(
        _lab_product_ensure(vendor, f"Lab product {letter}{number}", price, stock=stock)
        for number, price in enumerate(LAB_PRICES, start=1)
    )
    return LabVendor(vendor_id=vendor.pk, name=vendor.name, product_ids=product_ids)


def _lab_product_ensure(vendor: Vendor, name: str, price: Decimal, *, stock: int) -> int:
    product = Product.objects.filter(vendor=vendor, name=name).first()
    if product is None:
        return product_list(vendor=vendor, product_name=name, price=price, stock=stock).pk
    if product.stock < stock / 2:
        product_change_stock(product_id=product.pk, stock=stock)
    return product.pk
