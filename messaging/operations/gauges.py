"""The gauges read from the database at each scrape: queue depth, the oldest due delivery, dead letters,
breakers and paused handlers, for ``/metrics`` (``messaging.monitoring``).

They are the database's, not a process's: any web process reads the same, so they are read at the scrape,
never recorded. Every query walks an index over the open, dead or operating rows (never the journal, never
the succeeded deliveries): its cost follows the backlog and the dead letters, not the history.

- ``messaging_deliveries{state}``: ``due`` (pending and due, a paused handler's too), ``delayed`` (pending,
  not due yet: sent with a delay), ``in_progress`` (leased by a worker), ``retry_scheduled`` (an attempt
  failed, another will come): the health page's queue depth, uncapped.
- ``messaging_oldest_due_delivery_age_seconds``: how long the delivery due first has waited since it became
  due, among those a worker may run now (not a paused handler's, not behind an open breaker); 0 if none.
- ``messaging_dead_letters{handler}``: dead-lettered deliveries waiting for an operator.
- ``messaging_breaker_state{context,state}``: 1 for the context's breaker state, 0 for the others.
- ``messaging_handler_paused{handler}``: 1 if paused.

Every registered handler and context has its series, at 0 when nothing is there, so that a rise from none
shows in ``increase()`` and alerts.
"""

import logging
from collections.abc import Iterator
from datetime import datetime

from django.db import DatabaseError
from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily, Metric

from messaging.models import (
    WAITING_STATUSES,
    BreakerState,
    CircuitBreaker,
    Delivery,
    DeliveryStatus,
    HandlerState,
)
from messaging.runtime import clock
from messaging.runtime.claims import due_deliveries
from messaging.runtime.registry import registry

logger = logging.getLogger(__name__)

OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.RUNNING, DeliveryStatus.FAILED)


class DatabaseCollector:
    """A prometheus-client collector: the gauges, read from the database each time it is collected.

    A database that cannot be read leaves them out of that scrape (logged), not the metrics the processes
    recorded: those matter most when the database is in trouble.
    """

    def collect(self) -> Iterator[Metric]:
        try:
            now = clock.now()  # the clock due times are written on
            states, oldest = delivery_states(now), oldest_due_age(now)
            dead, breakers, paused = dead_letters(), breaker_states(), paused_handlers()
        except DatabaseError as error:
            logger.warning("metrics: the database gauges could not be read: %s", error)
            return
        yield _family("messaging_deliveries", "Deliveries not finished, by state.", ["state"], states)
        yield GaugeMetricFamily(
            "messaging_oldest_due_delivery_age_seconds",
            "Seconds the delivery due first has waited since it became due (of those a worker may run now).",
            value=oldest,
        )
        yield _family("messaging_dead_letters", "Dead-lettered deliveries, by handler.", ["handler"], dead)
        yield _family(
            "messaging_breaker_state",
            "Each context's circuit breaker: 1 for its state, 0 for the others.",
            ["context", "state"],
            breakers,
        )
        yield _family("messaging_handler_paused", "1 if the handler is paused.", ["handler"], paused)


def delivery_states(now: datetime) -> dict[tuple[str], int]:
    """Open deliveries by state: one index-only count by status, one of the waiting not due yet.

    The second walks the due index (``delivery_due``) from now on: a backlog due already is not read twice.
    """
    counts = dict(
        Delivery.objects.filter(status__in=OPEN_STATUSES).order_by().values_list("status").annotate(n=Count("pk"))
    )
    ahead = Delivery.objects.filter(status__in=WAITING_STATUSES, available_at__gt=now)
    delayed = dict(ahead.order_by().values_list("status").annotate(n=Count("pk"))).get(DeliveryStatus.PENDING, 0)
    return {
        ("due",): max(counts.get(DeliveryStatus.PENDING, 0) - delayed, 0),  # two reads: never below 0
        ("delayed",): delayed,
        ("in_progress",): counts.get(DeliveryStatus.RUNNING, 0),
        ("retry_scheduled",): counts.get(DeliveryStatus.FAILED, 0),
    }


def oldest_due_age(now: datetime) -> float:
    """Seconds since the first due time among the deliveries a worker may claim now (the due index, in order)."""
    first = due_deliveries(now).order_by("available_at").values_list("available_at", flat=True).first()
    return max((now - first).total_seconds(), 0.0) if first else 0.0


def dead_letters() -> dict[tuple[str], int]:
    counts = dict.fromkeys(registry.handlers, 0)
    counts.update(
        Delivery.objects.filter(status=DeliveryStatus.DEAD).order_by().values_list("handler").annotate(n=Count("pk"))
    )
    return {(handler,): n for handler, n in sorted(counts.items())}


def breaker_states() -> dict[tuple[str, str], int]:
    """A context without a breaker row has never failed: closed."""
    current = dict.fromkeys(registry.handler_contexts(), BreakerState.CLOSED)
    current.update(CircuitBreaker.objects.values_list("context", "state"))
    return {
        (context, state): int(state == current_state)
        for context, current_state in sorted(current.items())
        for state in BreakerState.values
    }


def paused_handlers() -> dict[tuple[str], int]:
    paused = set(HandlerState.objects.filter(paused=True).values_list("handler", flat=True))
    return {(handler,): int(handler in paused) for handler in sorted(paused | set(registry.handlers))}


def _family(name: str, documentation: str, labels: list[str], values: dict[tuple, float]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for label_values, value in values.items():
        family.add_metric(label_values, value)
    return family
