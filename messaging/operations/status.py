"""What messaging is doing now: one read-only snapshot for ``messaging_status`` and for scripts (JSON-ready).

Queue depth by status, dead letters by type and handler, the oldest waiting
delivery, breakers, paused handlers, and the django-q2 clusters whose stats are
in the cache: a cluster refreshes them every few seconds and they expire soon
after, so whatever is there was seen recently.
"""

from datetime import timedelta

from django.db.models import Count, Min, TextField
from django.db.models.functions import Cast, Length

from messaging.models import (
    WAITING_STATUSES,
    BreakerState,
    CircuitBreaker,
    Delivery,
    DeliveryStatus,
    HandlerState,
    ProcessHeartbeat,
    WatchdogState,
)
from messaging.processes import sweeper, watchdog
from messaging.runtime import clock, wakeup
from messaging.runtime.conf import messaging_settings
from messaging.runtime.registry import registry


def status_snapshot(now=None) -> dict:
    now = now or clock.now()  # the clock due times and leases are written on
    return {
        "at": now.isoformat(),
        "deliveries": deliveries_by_status(),
        "dead_letters": dead_letters_by_type_and_handler(),
        "oldest_waiting": oldest_waiting(now),
        "breakers": breakers(),
        "paused": sorted(HandlerState.objects.filter(paused=True).values_list("handler", flat=True)),
        "anomalies": anomalies(now),
        "processes": processes(now),
        "watchdog": watchdog_state(),
        **workers_seen(now),
    }


def deliveries_by_status() -> dict[str, int]:
    counts = dict(Delivery.objects.order_by().values_list("status").annotate(n=Count("id")))
    return {status: counts.get(status, 0) for status in DeliveryStatus.values}


def dead_letters_by_type_and_handler() -> list[dict]:
    rows = (
        Delivery.objects.filter(status=DeliveryStatus.DEAD)
        .values("message__type", "handler")
        .annotate(count=Count("id"), since=Min("finished_at"))
        .order_by("-count", "message__type", "handler")
    )
    return [
        {"type": row["message__type"], "handler": row["handler"], "count": row["count"], "since": _iso(row["since"])}
        for row in rows
    ]


def oldest_waiting(now) -> dict | None:
    """The waiting delivery due first (what a worker claims next, unless its handler is paused or its breaker open)."""
    delivery = (
        Delivery.objects.filter(status__in=WAITING_STATUSES)
        .select_related("message")
        .order_by("available_at", "id")
        .first()
    )
    if delivery is None:
        return None
    return {
        "delivery": delivery.pk,
        "message_id": str(delivery.message_id),
        "type": delivery.message.type,
        "handler": delivery.handler,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "due_at": _iso(delivery.available_at),
        "overdue_seconds": round((now - delivery.available_at).total_seconds(), 1),
        "published_at": _iso(delivery.message.created_at),
    }


def breakers() -> list[dict]:
    rows = CircuitBreaker.objects.exclude(state=BreakerState.CLOSED, consecutive_failures=0).order_by("context")
    return [
        {
            "context": b.context,
            "state": b.state,
            "consecutive_failures": b.consecutive_failures,
            "open_until": _iso(b.open_until),
        }
        for b in rows
    ]


def anomalies(now) -> list[dict]:
    """Rows that cannot move by themselves, or that no worker will run as they are, and what becomes of them."""
    found = []
    stranded = sweeper.stranded(now)
    overdue = now - timedelta(seconds=10 * messaging_settings().sweep_interval)
    far = now + sweeper.longest_lease() + sweeper.FAR_FUTURE_MARGIN
    kinds = [
        ("running without a lease", stranded.filter(lease_expires_at__isnull=True) | stranded.filter(
            lease_token__isnull=True), "the sweeper takes it back as a failed attempt"),
        ("running with a lease absurdly far ahead", stranded.filter(lease_expires_at__gt=far),
         "the sweeper takes it back as a failed attempt"),
        ("running with a lease expired long ago", stranded.filter(lease_expires_at__lt=overdue),
         "is a sweeper running? (manage.py messaging_sweeper)"),
        ("unknown status", Delivery.objects.exclude(status__in=DeliveryStatus.values),
         "never claimed: set its status by hand (the CHECK constraint should refuse this)"),
        ("waiting for a handler this code does not have", Delivery.objects.filter(status__in=WAITING_STATUSES)
         .exclude(handler__in=list(registry.handlers)), "dead-lettered when claimed (unknown handler)"),
        ("waiting with a payload over the size limit", Delivery.objects.filter(status__in=WAITING_STATUSES)
         .alias(size=Length(Cast("message__payload", TextField())))
         .filter(size__gt=messaging_settings().max_payload_bytes), "dead-lettered when claimed (too large)"),
    ]  # fmt: skip
    for kind, rows, fate in kinds:
        if count := rows.count():
            example = rows.order_by("pk").values_list("pk", flat=True).first()
            found.append({"kind": kind, "count": count, "example_delivery": example, "what_happens": fate})
    return found


def processes(now) -> list[dict]:
    """Every messaging process's last heartbeat (clusters and sweepers), live ones first."""
    live = set(watchdog.live_processes(now).values_list("pk", flat=True))
    rows = sorted(ProcessHeartbeat.objects.all(), key=lambda p: (p.pk not in live, p.kind, p.host, p.pid))
    return [
        {
            "id": str(p.pk),
            "kind": p.kind,
            "host": p.host,
            "pid": p.pid,
            "state": p.state,
            "live": p.pk in live,
            "beat_seconds_ago": round((now - p.beat_at).total_seconds(), 1),
            "up_seconds": round((p.beat_at - p.started_at).total_seconds()),
            "workers": p.workers,
            "busy": p.busy,
            "queued": p.queued,
            "last_task_seconds_ago": round((now - p.last_task_at).total_seconds(), 1) if p.last_task_at else None,
            "restarts": p.restarts,
            "detail": p.detail,
        }
        for p in rows
    ]


def watchdog_state() -> dict:
    state = WatchdogState.objects.filter(pk=1).first()
    since = state.stalled_since if state else None
    return {"stalled": since is not None, "stalled_since": _iso(since), "detail": state.detail if state else ""}


def workers_seen(now) -> dict:
    """Clusters in django-q2's stats (``Stat.get_all()``, kept in the cache), and wake-ups waiting in the broker."""
    from django_q.status import Stat

    try:
        stats = Stat.get_all(broker=wakeup.broker())
        queued = wakeup.queued_wakeups()
    except Exception as error:  # a cache or broker that cannot be read is worth saying, not a crash
        return {"workers": [], "wakeups_queued": None, "workers_error": f"{type(error).__name__}: {error}"}
    clusters = [
        {
            "cluster": str(stat.cluster_id),
            "host": stat.host,
            "pid": stat.pid,
            "status": str(stat.status),
            "workers": list(stat.workers),
            "seen_at": _iso(stat.timestamp),
            "up_seconds": round((now - stat.tob).total_seconds()) if stat.tob else None,
        }
        for stat in sorted(stats, key=lambda s: (s.host, s.pid))
    ]
    return {"workers": clusters, "wakeups_queued": queued}


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None
