"""Orders' reads, for the web pages (and anyone else who only looks)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db.models import QuerySet
from django.http import Http404

import messaging
from messaging.models import Delivery, JournalEntry
from orders.models import CatalogProduct, Order, OrderVendor


class VendorProducts(NamedTuple):
    vendor_id: int
    vendor_name: str
    products: list[CatalogProduct]


@dataclass(frozen=True)
class VendorProgress:
    """One vendor's part in an order; in command style, where its NotifyVendor stands right now."""

    vendor_id: int
    vendor_name: str
    status: str
    status_label: str
    command_id: uuid.UUID | None
    command_status: str  # pending, running, failed (retrying), succeeded, dead; "" in event style
    attempts: int
    last_error: str
    acknowledged_at: datetime | None


def catalog_by_vendor() -> list[VendorProducts]:
    """The catalogue, grouped by vendor (vendors and products by name), out-of-stock products included."""
    groups: dict[int, VendorProducts] = {}
    for product in CatalogProduct.objects.order_by("vendor_name", "vendor_id", "name"):
        group = groups.setdefault(product.vendor_id, VendorProducts(product.vendor_id, product.vendor_name, []))
        group.products.append(product)
    return list(groups.values())


def order_for_token(token: str | uuid.UUID) -> Order:
    """The order whose id is ``token`` (its URL); 404 for an unknown or malformed one."""
    try:
        order_id = token if isinstance(token, uuid.UUID) else uuid.UUID(str(token))
    except ValueError:
        raise Http404("No such order.") from None
    order = Order.objects.prefetch_related("lines", "vendors", "payments").filter(pk=order_id).first()
    if order is None:
        raise Http404("No such order.")
    return order


def order_timeline(order: Order) -> QuerySet[JournalEntry]:
    """Every step of every message of the order (they share its id as correlation id), oldest first.

    By time, then sequence: an attempt's "started" is journaled when the
    attempt ends, carrying the time it really started.
    """
    return JournalEntry.objects.filter(correlation_id=str(order.pk)).order_by("at", "seq")


def order_vendor_progress(order: Order) -> list[VendorProgress]:
    return [_progress(vendor) for vendor in order.vendors.order_by("vendor_name", "vendor_id")]


def _progress(vendor: OrderVendor) -> VendorProgress:
    command_status, attempts, error = "", 0, vendor.last_error
    if vendor.command_id is not None:
        try:
            outcome = messaging.outcome(vendor.command_id)
        except Delivery.DoesNotExist:  # purged from the outbox: what the order recorded is all there is
            outcome = None
        if outcome is not None:
            command_status, attempts = outcome.status, outcome.attempts
            if not outcome.finished:
                error = error or outcome.error  # the failure being retried
    return VendorProgress(
        vendor_id=vendor.vendor_id,
        vendor_name=vendor.vendor_name,
        status=vendor.status,
        status_label=vendor.get_status_display(),
        command_id=vendor.command_id,
        command_status=command_status,
        attempts=attempts,
        last_error=error,
        acknowledged_at=vendor.acknowledged_at,
    )
