"""The ledger a fault scenario is judged by, read from the database once the system has settled."""

import time
from dataclasses import asdict, dataclass

from django.db.models import Count, Q, Sum
from django.utils import timezone

from messaging.models import WAITING_STATUSES, Delivery, DeliveryStatus
from orders.models import Order, OrderLine, Payment
from vendors.models import Product, VendorNotification

RESERVING = (VendorNotification.Status.NOTIFIED, VendorNotification.Status.ACCEPTED, VendorNotification.Status.PREPARED)


def due_work():
    """Deliveries that should be running or done by now (a delayed one, not yet due, is not stuck)."""
    now = timezone.now()
    due = Q(status__in=WAITING_STATUSES, available_at__lte=now) | Q(status=DeliveryStatus.RUNNING)
    return Delivery.objects.filter(due)


def settle(*, timeout: float = 90, quiet: float = 1.5) -> float:
    """Wait until no due delivery waits or runs, and stays so for ``quiet`` seconds; returns the seconds waited."""
    began = time.monotonic()
    calm_since = None
    while time.monotonic() - began < timeout:
        if due_work().exists():
            calm_since = None
        elif calm_since is None:
            calm_since = time.monotonic()
        elif time.monotonic() - calm_since >= quiet:
            return time.monotonic() - began
        time.sleep(0.2)
    return time.monotonic() - began


@dataclass
class Ledger:
    paid_orders: int
    vendor_pairs: int  # (paid order, vendor) pairs: each must have exactly one notification
    notified_once: int
    missing: int
    doubled: int
    stuck: int  # due deliveries still waiting or running
    dead: int
    stock_conserved: bool
    payments_once: bool

    def problems(self, *, dead_expected: int = 0) -> list[str]:
        found = []
        if self.missing or self.doubled:
            found.append(f"{self.missing} vendor notifications missing, {self.doubled} doubled")
        if self.stuck:
            found.append(f"{self.stuck} deliveries stuck")
        if self.dead != dead_expected:
            found.append(f"{self.dead} dead letters (expected {dead_expected})")
        if not self.stock_conserved:
            found.append("stock not conserved")
        if not self.payments_once:
            found.append("a paid order without exactly one payment")
        return found

    def as_row(self) -> dict:
        return asdict(self)


def read(initial_stock: int) -> Ledger:
    paid = Order.objects.filter(paid_at__isnull=False)
    pairs = set(OrderLine.objects.filter(order__in=paid).values_list("order_id", "vendor_id").distinct())
    counted = VendorNotification.objects.values("order_id", "vendor_id").annotate(n=Count("id")).order_by()
    notes = {(row["order_id"], row["vendor_id"]): row["n"] for row in counted}
    missing = sum(1 for pair in pairs if notes.get(pair, 0) == 0)
    doubled = sum(1 for n in notes.values() if n > 1)
    reserved = 0
    for lines in VendorNotification.objects.filter(status__in=RESERVING).values_list("lines", flat=True):
        reserved += sum(line["quantity"] for line in lines)
    stock = Product.objects.aggregate(total=Sum("stock"))["total"] or 0
    payments = dict(
        Payment.objects.filter(status__in=(Payment.Status.SUCCEEDED, Payment.Status.REFUNDED))
        .values_list("order_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return Ledger(
        paid_orders=paid.count(),
        vendor_pairs=len(pairs),
        notified_once=sum(1 for pair in pairs if notes.get(pair, 0) == 1),
        missing=missing,
        doubled=doubled,
        stuck=due_work().count(),
        dead=Delivery.objects.filter(status=DeliveryStatus.DEAD).count(),
        stock_conserved=stock + reserved == initial_stock,
        payments_once=set(payments.values()) <= {1} and set(payments) == set(paid.values_list("pk", flat=True)),
    )
