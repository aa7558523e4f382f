"""What every fault scenario does: load, a fault, healing measured, the ledger judged and reported."""

import time
import uuid

from django.utils import timezone

from messaging.models import WAITING_STATUSES, Delivery, DeliveryStatus, FaultSetting
from orders.models import OrderLine
from tests.faults import ledger
from tests.faults.shopper import Load
from tests.processes import wait_until
from vendors.models import VendorNotification


def start_load(stack, shop, *, rate: float = 3.0, customers: int = 2, warm: int = 4) -> Load:
    """Customers buying over HTTP; returns once ``warm`` orders went through."""
    load = Load(stack.url, shop.lines, rate=rate, customers=customers).start()
    load.wait_for(warm)
    return load


def set_fault(context: str, **fields) -> None:
    FaultSetting.objects.update_or_create(context=context, defaults=fields)


def restore(context: str) -> None:
    FaultSetting.objects.filter(context=context).update(unavailable=False, latency_ms=0, failure_rate=0)


def notified(order_id: str) -> bool:
    vendors = OrderLine.objects.filter(order_id=order_id).values("vendor_id").distinct().count()
    return vendors > 0 and VendorNotification.objects.filter(order_id=order_id).count() == vendors


def stranded_before(moment) -> bool:
    """Work that existed at ``moment`` and is due, yet not done: what a fault left behind."""
    now = timezone.now()
    waiting = Delivery.objects.filter(created_at__lte=moment, status__in=WAITING_STATUSES, available_at__lte=now)
    return waiting.exists() or Delivery.objects.filter(created_at__lte=moment, status=DeliveryStatus.RUNNING).exists()


def wait_healed(fault_at, order_id: str, *, began: float, timeout: float = 90) -> float:
    """Seconds from the fault until an order placed after it is notified and nothing the fault stranded is left."""
    wait_until(lambda: notified(order_id) and not stranded_before(fault_at), timeout=timeout, interval=0.1,
               message="the system to heal")  # fmt: skip
    return time.monotonic() - began


def new_order_flows(stack, shop, *, timeout: float = 60) -> float:
    """Seconds for one more order, placed and paid over HTTP, to reach every vendor."""
    began = time.monotonic()
    order_id = shop.buy_one(stack.url)
    wait_until(lambda: notified(order_id), timeout=timeout, message="a new order to reach its vendors")
    return time.monotonic() - began


def judge(stack, shop, report, *, load: Load | None = None, heal: float | None = None, dead: int = 0,
          http_errors_allowed: bool = False, **extra) -> ledger.Ledger:  # fmt: skip
    """Stop the load, let the system settle, read the ledger, check new work flows, record the row; assert."""
    if load is not None:
        load.stop()
    ledger.settle()
    flow = new_order_flows(stack, shop)
    ledger.settle()
    book = ledger.read(shop.initial_stock)
    failures = load.failures if load is not None else []
    report(book, http_errors=len(failures), heal_seconds=heal, flow_seconds=round(flow, 1), **extra)
    assert not book.problems(dead_expected=dead), (book.problems(dead_expected=dead), stack.logs_tail())
    if not http_errors_allowed:
        assert not failures, failures[:5]
    assert book.paid_orders > 0
    return book


def marker() -> str:
    return uuid.uuid4().hex[:8]
