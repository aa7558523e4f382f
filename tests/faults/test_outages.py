"""A context down for minutes, or slowed down, under load: the others flow, nothing is dead-lettered."""

import statistics
import time

import pytest
from django.utils import timezone

from messaging.models import BreakerState, CircuitBreaker, Delivery, DeliveryStatus
from orders.services.settings import store_settings_update
from tests.faults import ledger
from tests.faults.scenario import judge, restore, set_fault, start_load, wait_healed

OUTAGE_SECONDS = 120
LATENCY_MS = 1000


@pytest.mark.soak
def test_09_vendors_unavailable_for_minutes_under_load(stack, shop, report):
    load = start_load(stack, shop, rate=2.0)

    fault_at, began = timezone.now(), time.monotonic()
    set_fault("vendors", unavailable=True)
    time.sleep(OUTAGE_SECONDS / 2)
    store_settings_update(style="command")  # half the outage in each style
    time.sleep(OUTAGE_SECONDS / 2)
    restore("vendors")
    order_id = shop.buy_one(stack.url)
    heal = wait_healed(fault_at, order_id, began=began, timeout=180)

    assert CircuitBreaker.objects.get(context="vendors").state == BreakerState.CLOSED
    judge(stack, shop, report, load=load, heal=heal - OUTAGE_SECONDS, outage_seconds=OUTAGE_SECONDS)


def test_10_latency_on_one_context_while_another_flows(stack, shop, report):
    set_fault("vendors", latency_ms=LATENCY_MS)
    slow_from = timezone.now()
    load = start_load(stack, shop, rate=1.0)
    time.sleep(10)
    slow_until = timezone.now()
    load.stop()
    ledger.settle(timeout=120)  # Vendors' backlog drains, still slow
    restore("vendors")
    orders = _handling_ms(slow_from, slow_until, context="orders")
    vendors = _handling_ms(slow_from, slow_until, context="vendors")
    figures = {"orders_p95_ms": round(_p95(orders)), "vendors_p50_ms": round(statistics.median(vendors))}

    judge(stack, shop, report, load=load, **figures)
    assert statistics.median(vendors) >= LATENCY_MS, figures  # Vendors' handlers are slow...
    assert _p95(orders) < LATENCY_MS, figures  # ...and Orders' are not held up behind them
    assert not CircuitBreaker.objects.filter(context="orders").exclude(consecutive_failures=0).exists()


def _handling_ms(since, until, *, context: str) -> list[float]:
    done = Delivery.objects.filter(
        context=context, status=DeliveryStatus.SUCCEEDED, created_at__gte=since, created_at__lt=until
    ).values_list("created_at", "finished_at")
    return [(finished - created).total_seconds() * 1000 for created, finished in done]


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]
