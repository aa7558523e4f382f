"""The numbers of the outbox: messages written, deliveries waiting, breakers, paused handlers, processes.

Every query is bounded or walks an index, so it stays fast with millions of rows: counts stop at a cap,
rates read one window of ``Message`` rows by ``created_at``, breakers and subscriptions are a row per
context or handler, processes a heartbeat row each.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncSecond
from django.utils import timezone

from messaging.models import BreakerState, CircuitBreaker, Delivery, DeliveryStatus, HandlerState, Message
from messaging.operations import status
from messaging.selectors.registry import contexts, handler_context

# The two counting limits, each defined once: a count reads "N+" past them, and costs no more than N index entries.
QUEUE_COUNT_CAP = 100_000  # a queue's depth (the health page, messaging_status)
LIST_COUNT_CAP = 10_000  # a list's total (the admin's changelists, the dashboard's dead letters)
RAN_STATUSES = [s for s in DeliveryStatus.values if s != DeliveryStatus.PENDING]


@dataclass(frozen=True)
class CappedCount:
    value: int
    capped: bool  # the real number is at least ``value``

    def __str__(self):
        return f"{self.value:,}+" if self.capped else f"{self.value:,}"


@dataclass(frozen=True)
class BreakerRow:
    context: str
    state: str
    state_label: str
    consecutive_failures: int
    open_until: datetime | None
    awaiting_probe: bool  # open, its cool-down over: the next claim probes it


@dataclass(frozen=True)
class PausedRow:
    handler: str
    context: str
    since: datetime


def capped_count(queryset: QuerySet, cap: int = QUEUE_COUNT_CAP) -> CappedCount:
    """COUNT over at most ``cap`` rows: a huge backlog costs no more than ``cap`` index entries."""
    value = queryset.values("pk")[: cap + 1].count()
    return CappedCount(min(value, cap), value > cap)


def queue_depth(*, now: datetime | None = None, cap: int = QUEUE_COUNT_CAP) -> dict[str, CappedCount]:
    """Deliveries waiting (due), delayed (not due yet: a ``delay``), in progress, retry scheduled, dead.

    ``status = x`` is an index-only count on (status, id); the delayed ones are the
    pending whose ``available_at`` is still ahead, read through the same index.
    """
    now = now or timezone.now()
    pending = capped_count(Delivery.objects.filter(status=DeliveryStatus.PENDING), cap)
    delayed = capped_count(Delivery.objects.filter(status=DeliveryStatus.PENDING, available_at__gt=now), cap)
    return {
        "waiting": CappedCount(max(pending.value - delayed.value, 0), pending.capped),
        "delayed": delayed,
        "in_progress": capped_count(Delivery.objects.filter(status=DeliveryStatus.RUNNING), cap),
        "retry_scheduled": capped_count(Delivery.objects.filter(status=DeliveryStatus.FAILED), cap),
        "dead": capped_count(Delivery.objects.filter(status=DeliveryStatus.DEAD), cap),
    }


def messages_per_second(*, start: datetime, end: datetime) -> list[tuple[str, datetime, int]]:
    """(kind, second, messages written) for each second in [start, end) that has any."""
    rows = (
        Message.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(second=TruncSecond("created_at"))
        .values("kind", "second")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [(row["kind"], row["second"], row["n"]) for row in rows]


def messages_written_since(*, since: datetime, types: list[str]) -> dict[str, int]:
    """Messages of each of ``types`` written since ``since``: one range of the (type, created_at) index each."""
    return {name: Message.objects.filter(type=name, created_at__gte=since).count() for name in types}


def handler_has_run(*, name: str) -> bool:
    """Whether handler ``name`` has a delivery past ``pending``.

    One EXISTS on the (status, handler) index: ``status IN (...)`` lets it seek instead of scan.
    """
    return Delivery.objects.filter(status__in=RAN_STATUSES, handler=name).exists()


def breakers(*, now: datetime | None = None) -> list[BreakerRow]:
    """One row per context: a context with no breaker row has never failed, so it is closed."""
    now = now or timezone.now()
    stored = stored_breakers()
    rows = []
    for context in sorted(set(contexts()) | set(stored)):
        breaker = stored.get(context) or CircuitBreaker(context=context)
        rows.append(
            BreakerRow(
                context=context,
                state=breaker.state,
                state_label=BreakerState(breaker.state).label,
                consecutive_failures=breaker.consecutive_failures,
                open_until=breaker.open_until,
                awaiting_probe=breaker.awaits_probe(now),
            )
        )
    return rows


def stored_breakers() -> dict[str, CircuitBreaker]:
    """Each context's breaker row, by context: a context without one has never failed (closed)."""
    return {b.context: b for b in CircuitBreaker.objects.all()}


def paused_handlers() -> list[PausedRow]:
    """The paused handlers, by name, each with its context and since when."""
    return [
        PausedRow(s.handler, handler_context(name=s.handler), s.updated_at)
        for s in HandlerState.objects.filter(paused=True).order_by("handler")
    ]


def status_snapshot(*, now: datetime | None = None) -> dict:
    """What messaging is doing now, JSON-ready: what ``manage.py messaging_status`` prints."""
    return status.status_snapshot(now)


def processes(*, now: datetime) -> list[dict]:
    """Every messaging process's last heartbeat (clusters and sweepers), live ones first (JSON-ready)."""
    return status.processes(now)


def watchdog_state() -> dict:
    """Whether due work is stalled, since when and why (JSON-ready)."""
    return status.watchdog_state()
