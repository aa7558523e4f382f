"""The health numbers: throughput, queue depth, handling times, breakers, paused subscriptions, workers.

Every query is bounded or walks an index, so the page stays fast with millions
of journal rows: rates read one window of ``Message`` rows by ``created_at``;
queue counts stop at ``COUNT_CAP``; handling times read at most the newest
``TIMING_SAMPLE`` succeeded/failed entries of the last hour, found from the
hour's first ``seq``; breakers and subscriptions are a row per context/handler;
workers are a heartbeat row per messaging process and the watchdog's one row.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from math import ceil

from django.db.models import Count
from django.db.models.functions import TruncSecond
from django.utils import timezone

from messaging.models import (
    BreakerState,
    CircuitBreaker,
    Delivery,
    DeliveryStatus,
    JournalEntry,
    Kind,
    Message,
    ProcessKind,
    ProcessState,
    Step,
    Subscription,
)
from messaging.operations import status as messaging_status
from messaging.runtime.registry import registry

RATE_SECONDS = 120  # the live chart's window, one bucket per second
RATE_SECONDS_MAX = 600
COUNT_CAP = 100_000  # a queue count stops here and reads "100,000+"
TIMING_SAMPLE = 5_000  # newest succeeded/failed entries of the hour that handling times are computed from
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class CappedCount:
    value: int
    capped: bool  # the real number is at least ``value``

    def __str__(self):
        return f"{self.value:,}+" if self.capped else f"{self.value:,}"


@dataclass(frozen=True)
class HandlerTiming:
    handler: str
    context: str
    runs: int  # in the sample
    failed: int
    p50_ms: float
    p95_ms: float
    max_ms: float


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


def message_rates(*, now: datetime | None = None, seconds: int = RATE_SECONDS) -> dict:
    """Messages written per second, by kind, over the last ``seconds`` complete seconds.

    ``{"t": [epoch seconds...], "command": [...], "event": [...]}``, one bucket per
    second, oldest first; the current (incomplete) second is left out.
    """
    now = now or timezone.now()
    seconds = max(1, min(seconds, RATE_SECONDS_MAX))
    end = int(now.timestamp())  # exclusive: the start of the current second
    start = end - seconds
    buckets = {kind: [0] * seconds for kind in Kind.values}
    rows = (
        Message.objects.filter(
            created_at__gte=datetime.fromtimestamp(start, tz=UTC),
            created_at__lt=datetime.fromtimestamp(end, tz=UTC),
        )
        .annotate(second=TruncSecond("created_at"))
        .values("kind", "second")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        index = int(row["second"].timestamp()) - start
        if row["kind"] in buckets and 0 <= index < seconds:
            buckets[row["kind"]][index] = row["n"]
    return {"t": list(range(start, end)), **buckets}


def capped_count(queryset, cap: int = COUNT_CAP) -> CappedCount:
    """COUNT over at most ``cap`` rows: a huge backlog costs no more than ``cap`` index entries."""
    value = queryset.values("pk")[: cap + 1].count()
    return CappedCount(min(value, cap), value > cap)


def queue_depth(*, now: datetime | None = None) -> dict[str, CappedCount]:
    """Deliveries waiting (due), delayed (not due yet: a ``delay``), in progress, retry scheduled, dead.

    ``status = x`` is an index-only count on (status, id); the delayed ones are the
    pending whose ``available_at`` is still ahead, read through the same index.
    """
    now = now or timezone.now()
    pending = capped_count(Delivery.objects.filter(status=DeliveryStatus.PENDING))
    delayed = capped_count(Delivery.objects.filter(status=DeliveryStatus.PENDING, available_at__gt=now))
    return {
        "waiting": CappedCount(max(pending.value - delayed.value, 0), pending.capped),
        "delayed": delayed,
        "in_progress": capped_count(Delivery.objects.filter(status=DeliveryStatus.RUNNING)),
        "retry_scheduled": capped_count(Delivery.objects.filter(status=DeliveryStatus.FAILED)),
        "dead": capped_count(Delivery.objects.filter(status=DeliveryStatus.DEAD)),
    }


def first_seq_since(moment: datetime) -> int | None:
    """The first journal ``seq`` written at or after ``moment`` (via the ``at`` index), or None."""
    # Rows written in one transaction share ``at``: break the tie by seq, or PostgreSQL picks any of them.
    return JournalEntry.objects.filter(at__gte=moment).order_by("at", "seq").values_list("seq", flat=True).first()


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (not empty)."""
    return sorted_values[max(0, ceil(p / 100 * len(sorted_values)) - 1)]


def handling_times(*, now: datetime | None = None, sample: int = TIMING_SAMPLE) -> list[HandlerTiming]:
    """p50/p95 of handlers' attempts (succeeded or failed) over the last hour, newest ``sample`` at most."""
    now = now or timezone.now()
    first = first_seq_since(now - HOUR)
    if first is None:
        return []
    rows = (
        JournalEntry.objects.filter(seq__gte=first, step__in=(Step.SUCCEEDED, Step.FAILED), duration_ms__isnull=False)
        .order_by("-seq")
        .values_list("handler", "step", "duration_ms")[:sample]
    )
    durations: dict[str, list[float]] = {}
    failed: dict[str, int] = {}
    for handler, step, duration in rows:
        durations.setdefault(handler, []).append(duration)
        failed[handler] = failed.get(handler, 0) + (step == Step.FAILED)
    timings = []
    for handler, values in sorted(durations.items()):
        values.sort()
        known = registry.handlers.get(handler)
        timings.append(
            HandlerTiming(
                handler=handler,
                context=known.context if known else handler.split(".")[0],
                runs=len(values),
                failed=failed[handler],
                p50_ms=percentile(values, 50),
                p95_ms=percentile(values, 95),
                max_ms=values[-1],
            )
        )
    return timings


def contexts() -> list[str]:
    """Every context that owns a message type or a handler, by name."""
    return sorted({h.context for h in registry.handlers.values()} | {cls.context for cls in registry.messages.values()})


def breakers(*, now: datetime | None = None) -> list[BreakerRow]:
    """One row per context: a context with no breaker row has never failed, so it is closed."""
    now = now or timezone.now()
    stored = {b.context: b for b in CircuitBreaker.objects.all()}
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


def paused_subscriptions() -> list[PausedRow]:
    rows = []
    for subscription in Subscription.objects.filter(paused=True).order_by("handler"):
        known = registry.handlers.get(subscription.handler)
        context = known.context if known else subscription.handler.split(".")[0]
        rows.append(PausedRow(subscription.handler, context, subscription.updated_at))
    return rows


def workers(*, now: datetime) -> dict:
    """Every messaging process by its heartbeat, live ones first, and whether due work is stalled (JSON-ready).

    A process that says it runs but stopped beating is shown silent before a sweeper declares it so.
    """
    processes = [
        {
            **p,
            "shown_state": p["state"] if p["live"] or p["state"] == ProcessState.STOPPED else ProcessState.SILENT,
            "beat_ago": ago(p["beat_seconds_ago"]),
            "last_task_ago": ago(p["last_task_seconds_ago"]),
        }
        for p in messaging_status.processes(now)
    ]
    watchdog = messaging_status.watchdog_state()
    since = watchdog["stalled_since"]
    clock = timezone.localtime(datetime.fromisoformat(since)).strftime("%H:%M:%S") if since else None
    return {
        "processes": processes,
        "clusters_live": sum(p["live"] and p["kind"] == ProcessKind.CLUSTER for p in processes),
        "sweepers_live": sum(p["live"] and p["kind"] == ProcessKind.SWEEPER for p in processes),
        "watchdog": {**watchdog, "stalled_since_clock": clock},
    }


def ago(seconds: float | None) -> str | None:
    """``3 s ago``, ``4 min ago``, ``2 h ago``: how long ago, to the unit a reader needs."""
    if seconds is None:
        return None
    seconds = max(seconds, 0)
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    return f"{seconds / 60:.0f} min ago" if seconds < 90 * 60 else f"{seconds / 3600:.0f} h ago"


def live_numbers(*, now: datetime | None = None, seconds: int = RATE_SECONDS) -> dict:
    """What the health page polls: rates, queue depth and workers, JSON-ready."""
    now = now or timezone.now()
    depth = queue_depth(now=now)
    return {
        "now": now.timestamp(),
        "rates": message_rates(now=now, seconds=seconds),
        "queue": {name: count.value for name, count in depth.items()},
        "queue_capped": [name for name, count in depth.items() if count.capped],
        "cap": COUNT_CAP,
        **workers(now=now),
    }
