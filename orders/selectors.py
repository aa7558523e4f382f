"""Orders' reads, for the web pages, the dashboard and the trade-off lab (and anyone else who only looks).

The shop's pages and figures never count the lab's products or orders (``lab``, ``experiment``): its
traffic is its own, read at the end of this module.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone

from messaging import selectors as messaging_selectors
from orders.models import CatalogProduct, Order, OrderLine, OrderVendor, Payment


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


@dataclass(frozen=True)
class VendorsBreaker:
    """Vendors' circuit breaker while it holds messages back: why, and when it lets one through to try."""

    consecutive_failures: int
    next_probe_at: datetime | None
    probe_in_seconds: int  # 0: due, the next delivery to Vendors probes it

    @property
    def probing(self) -> bool:
        return self.probe_in_seconds == 0


VENDORS_CONTEXT = "vendors"
# An order still waiting to hear from its vendors, which an open breaker on Vendors holds up.
WAITING_FOR_VENDORS = {Order.Status.PAID, Order.Status.VENDOR_NOTIFIED, Order.Status.ACCEPTED}


def catalog_by_vendor() -> list[VendorProducts]:
    """The storefront's catalog, grouped by vendor (vendors and products by name), out-of-stock products included;
    the trade-off lab's products are not for sale."""
    groups: dict[int, VendorProducts] = {}
    for product in CatalogProduct.objects.filter(lab=False).order_by("vendor_name", "vendor_id", "name"):
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


def order_timeline(order: Order) -> QuerySet:
    """Every step of every message of the order (they share its id as correlation id), oldest first.

    Messaging's journal entries, read through its read side: by time, then sequence.
    """
    return messaging_selectors.conversation_timeline(correlation_id=str(order.pk))


def order_vendor_progress(order: Order) -> list[VendorProgress]:
    return [_progress(order, vendor) for vendor in order.vendors.order_by("vendor_name", "vendor_id")]


# A vendor still on its way (not the one that refused or failed) when the order was cancelled: the row says the
# order stopped there, since the vendor is never told more than OrderCancelled.
STOPPED_BY_CANCELLATION = {OrderVendor.Status.WAITING, OrderVendor.Status.NOTIFIED, OrderVendor.Status.ACCEPTED}


def _vendor_status(order: Order, vendor: OrderVendor) -> tuple[str, str]:
    if order.status == Order.Status.CANCELLED and vendor.status in STOPPED_BY_CANCELLATION:
        return "cancelled", f"Cancelled (was {vendor.get_status_display().lower()})"
    return vendor.status, vendor.get_status_display()


def _progress(order: Order, vendor: OrderVendor) -> VendorProgress:
    command_status, attempts, error = "", 0, vendor.last_error
    if vendor.command_id is not None:
        # None once purged from the outbox: what the order recorded is all there is
        outcome = messaging_selectors.command_outcome(command_id=vendor.command_id)
        if outcome is not None:
            command_status, attempts = outcome.status, outcome.attempts
            if not outcome.finished:
                error = error or outcome.error  # the failure being retried
    status, status_label = _vendor_status(order, vendor)
    return VendorProgress(
        vendor_id=vendor.vendor_id,
        vendor_name=vendor.vendor_name,
        status=status,
        status_label=status_label,
        command_id=vendor.command_id,
        command_status=command_status,
        attempts=attempts,
        last_error=error,
        acknowledged_at=vendor.acknowledged_at,
    )


def vendors_breaker(order: Order, *, now: datetime | None = None) -> VendorsBreaker | None:
    """Vendors' breaker, read through messaging's read side, when it is not closed and ``order`` waits on Vendors."""
    if order.status not in WAITING_FOR_VENDORS:
        return None
    now = now or timezone.now()
    row = next((b for b in messaging_selectors.breakers(now=now) if b.context == VENDORS_CONTEXT), None)
    if row is None or row.state == messaging_selectors.BreakerState.CLOSED:
        return None
    wait = 0 if row.awaiting_probe or row.open_until is None else (row.open_until - now).total_seconds()
    return VendorsBreaker(
        consecutive_failures=row.consecutive_failures,
        next_probe_at=row.open_until,
        probe_in_seconds=max(0, round(wait)),
    )


# --- For the dashboard's trade-off panel ---------------------------------------------------------------------


def recent_paid_orders(*, style: str, limit: int) -> list[Order]:
    """The newest ``limit`` of the shop's orders paid in ``style``, newest payment first.

    Newest by placing, through the order_created index (orders have no index on
    payment time): an order is paid minutes after it is placed, if at all.
    """
    orders = list(
        Order.objects.filter(style=style, paid_at__isnull=False, experiment="")
        .order_by("-created_at")
        .only("id", "status", "style", "paid_at")[:limit]
    )
    return sorted(orders, key=lambda order: order.paid_at, reverse=True)


def orders_waiting_since(*, style: str, paid_before: datetime) -> QuerySet[Order]:
    """The shop's orders of ``style`` paid before ``paid_before`` and still only paid (no vendor notified them all),
    oldest payment first; counted through the status index."""
    waiting = Order.objects.filter(status=Order.Status.PAID, style=style, paid_at__lt=paid_before, experiment="")
    return waiting.order_by("paid_at").only("id", "paid_at", "status")


def vendor_counts(*, order_ids: list[str]) -> dict[str, int]:
    """How many vendors each of the orders has, by order id (as text)."""
    counts: dict[str, int] = {}
    for order_id in OrderVendor.objects.filter(order_id__in=order_ids).values_list("order_id", flat=True):
        counts[str(order_id)] = counts.get(str(order_id), 0) + 1
    return counts


def vendor_commands(*, order_ids: list[str]) -> list[tuple[uuid.UUID | None, bool]]:
    """(NotifyVendor command id, whether it failed for good) of every vendor's part in the orders."""
    rows = OrderVendor.objects.filter(order_id__in=order_ids).values_list("command_id", "status")
    return [(command, status == OrderVendor.Status.FAILED) for command, status in rows]


# --- For the trade-off lab -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExperimentOrder:
    order_id: uuid.UUID
    style: str
    status: str
    paid_at: datetime | None
    cancel_reason: str
    vendor_ids: tuple[int, ...]
    vendors_failed: int  # vendors whose NotifyVendor failed for good


def experiment_orders(*, experiment: str) -> list[ExperimentOrder]:
    """The run's orders, first placed first, in three queries however many there are."""
    orders = _of_experiment(experiment).order_by("created_at", "id")
    rows = orders.values_list("id", "style", "status", "paid_at", "cancel_reason")
    vendor_ids = defaultdict(set)
    for order_id, vendor_id in OrderLine.objects.filter(order__in=orders).values_list("order_id", "vendor_id"):
        vendor_ids[order_id].add(vendor_id)
    failed = defaultdict(int)
    parts = OrderVendor.objects.filter(order__in=orders, status=OrderVendor.Status.FAILED)
    for order_id in parts.values_list("order_id", flat=True):
        failed[order_id] += 1
    return [
        ExperimentOrder(
            order_id=order_id,
            style=style,
            status=status,
            paid_at=paid_at,
            cancel_reason=cancel_reason,
            vendor_ids=tuple(sorted(vendor_ids[order_id])),
            vendors_failed=failed[order_id],
        )
        for order_id, style, status, paid_at, cancel_reason in rows
    ]


def experiment_status_counts(*, experiment: str) -> dict[str, int]:
    """How many of the run's orders are in each status (those with none left out): one query, cheap to poll."""
    counts = _of_experiment(experiment).order_by().values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in counts}


def experiment_rows(*, experiment: str) -> int:
    """The rows the run's orders hold in Orders' tables: the orders, their lines, vendors' parts and payments."""
    orders = _of_experiment(experiment)
    parts = (OrderLine, OrderVendor, Payment)
    return orders.count() + sum(model.objects.filter(order__in=orders).count() for model in parts)


def lab_catalog() -> list[tuple[int, int, int]]:
    """(product id, vendor id, stock) of the lab's products that reached Orders' catalog, by product id."""
    return list(
        CatalogProduct.objects.filter(lab=True).order_by("product_id").values_list("product_id", "vendor_id", "stock")
    )


def _of_experiment(experiment: str) -> QuerySet[Order]:
    """The run's orders. The query repeats the partial index's condition, so SQLite too reads them through it."""
    if not experiment:
        raise ValueError("name the experiment: the shop's own orders have none")
    return Order.objects.filter(experiment=experiment).exclude(experiment="")
