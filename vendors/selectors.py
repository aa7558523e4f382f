"""Vendors' reads for the portal: who may see which vendor, and its notifications with product names.

A user sees the vendors they work for (``user.vendors``); staff see every
vendor. Anything else is answered as if it did not exist (404), so the portal
does not even reveal which vendors or notifications there are.

At the end, the reads of the trade-off lab, whose simulated staff accept its orders.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from vendors.models import Product, Vendor, VendorNotification

Status = VendorNotification.Status


@dataclass(frozen=True)
class LineItem:
    product_id: int
    name: str
    quantity: int


def vendors_visible_to(user) -> QuerySet[Vendor]:
    """The user's vendors (all for staff), with how many orders wait to be accepted and prepared."""
    if not user.is_authenticated:
        return Vendor.objects.none()
    vendors = Vendor.objects.all() if user.is_staff else user.vendors.all()
    return vendors.annotate(
        to_accept=Count("notifications", filter=Q(notifications__status=Status.NOTIFIED)),
        to_prepare=Count("notifications", filter=Q(notifications__status=Status.ACCEPTED)),
    ).order_by("name")


def vendor_find(*, slug: str, name: str) -> Vendor | None:
    """The vendor with this slug or this name (both are unique), or None."""
    return Vendor.objects.filter(Q(slug=slug) | Q(name=name)).first()


def product_names(*, vendor: Vendor) -> set[str]:
    """The names of the products the vendor has listed."""
    return set(Product.objects.filter(vendor=vendor).values_list("name", flat=True))


def product_stock(*, vendor: Vendor) -> dict[str, tuple[int, int]]:
    """The vendor's products by name: (product id, stock)."""
    return {
        name: (pk, stock)
        for pk, name, stock in Product.objects.filter(vendor=vendor).values_list("pk", "name", "stock")
    }


def vendor_for_user_or_404(user, slug: str) -> Vendor:
    return get_object_or_404(vendors_visible_to(user), slug=slug)


def notification_for_user_or_404(user, *, slug: str, notification_id: int) -> VendorNotification:
    """One of the vendor's notifications, if the user may see the vendor; 404 otherwise."""
    vendor = vendor_for_user_or_404(user, slug)
    return get_object_or_404(VendorNotification, vendor=vendor, pk=notification_id)


def vendor_notifications(vendor: Vendor, *, status: str = "") -> QuerySet[VendorNotification]:
    """Newest first; only those in ``status`` when given (an unknown status gives none)."""
    notifications = vendor.notifications.order_by("-created_at", "-pk")
    return notifications.filter(status=status) if status else notifications


def status_counts(vendor: Vendor) -> list[tuple[str, str, int]]:
    """``[(status, label, how many), ...]`` for every status, in the order of an order's life."""
    counts = dict(vendor.notifications.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return [(value, label, counts.get(value, 0)) for value, label in Status.choices]


def with_line_items(notifications) -> list[VendorNotification]:
    """The notifications, each with ``items``: its lines with the products' names (one query for all)."""
    notifications = list(notifications)
    ids = {line["product_id"] for notification in notifications for line in notification.lines}
    names = dict(Product.objects.filter(pk__in=ids).values_list("pk", "name"))
    for notification in notifications:
        notification.items = [
            LineItem(
                line["product_id"], names.get(line["product_id"], f"product #{line['product_id']}"), line["quantity"]
            )
            for line in notification.lines
        ]
    return notifications


# --- For the trade-off lab ------------------------------------------------------------------------------------


def notifications_to_accept(*, order_ids: Iterable[UUID], vendor_ids: Iterable[int]) -> list[int]:
    """Ids of the notifications of these orders and vendors still waiting to be accepted, oldest first."""
    waiting = VendorNotification.objects.filter(
        order_id__in=list(order_ids), vendor_id__in=list(vendor_ids), status=Status.NOTIFIED
    )
    return list(waiting.order_by("created_at", "pk").values_list("pk", flat=True))


def notification_rows(*, order_ids: Iterable[UUID]) -> int:
    """How many notifications these orders have: the rows Vendors wrote for them."""
    return VendorNotification.objects.filter(order_id__in=list(order_ids)).count()
