"""Makes good what a crash or a lost wake-up left behind.

Run every few seconds by ``manage.py messaging_sweeper`` (and by each cluster's
supervisor): a running delivery whose lease expired (its worker died, froze, or
ran past django-q2's timeout) counts as an attempt and is retried or
dead-lettered, without counting against its context's breaker (the worker
failed, not the context). So does a running delivery that no lease can ever
free: none at all, or one absurdly far in the future (a row edited by hand, a
host's clock far ahead). If due deliveries wait and no wake-up is queued,
workers are woken. Leases are read against the database's clock, which the
workers that wrote them used too: a sweeper on a host whose clock is off
neither takes back a live lease nor leaves an expired one.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q

from messaging.models import Delivery, DeliveryStatus
from messaging.runtime import clock, failures, wakeup
from messaging.runtime.claims import due_deliveries, lease_seconds
from messaging.runtime.registry import registry
from messaging.runtime.telemetry import metrics

ACTOR = "sweeper"
FAR_FUTURE_MARGIN = timedelta(minutes=1)  # past the longest lease by this much, a lease is not a worker's


@dataclass(frozen=True)
class Sweep:
    expired: int
    woken: int


def longest_lease() -> timedelta:
    handlers = [name for name in registry.handlers] or [""]
    return timedelta(seconds=max(lease_seconds(name) for name in handlers))


def stranded(now):
    """Running deliveries no worker will finish: lease expired, missing, or absurdly far ahead (a queryset)."""
    far = now + longest_lease() + FAR_FUTURE_MARGIN
    return Delivery.objects.filter(status=DeliveryStatus.RUNNING).filter(
        Q(lease_expires_at__lt=now)
        | Q(lease_expires_at__isnull=True)
        | Q(lease_token__isnull=True)
        | Q(lease_expires_at__gt=far)
    )


def why_stranded(delivery, now) -> str:
    if delivery.lease_token is None or delivery.lease_expires_at is None:
        return "running with no lease (a row edited by hand?): taken back by the sweeper"
    if delivery.lease_expires_at > now:
        ahead = (delivery.lease_expires_at - now).total_seconds()
        return f"lease {ahead:.0f}s in the future, longer than any handler's (a row edited by hand, a clock ahead?)"
    return "lease expired: the worker died, froze, or ran past its time"


def expire_leases(now) -> int:
    """Settle stranded deliveries as failed attempts (not charged to their breakers); returns how many.

    Several sweepers may find the same rows at once. Each row is read again, if still stranded, in the
    transaction that settles it: locked on PostgreSQL (a row another sweeper holds is skipped), behind
    the one write lock on SQLite. The lease token alone cannot guard it: a row that had none still has
    none once settled, and a second sweeper would settle it again.
    """
    expired = 0
    for found in stranded(now).order_by("lease_expires_at").values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            # Not the message's row: its other deliveries may be settled by another sweeper meanwhile.
            locked = stranded(now).select_for_update(skip_locked=True, of=("self",)).select_related("message")
            delivery = locked.filter(pk=found).first()
            if delivery is None:
                continue  # settled meanwhile, or being settled now, by another sweeper
            settled = failures.settle(
                delivery,
                token=delivery.lease_token,
                error=why_stranded(delivery, now),
                trace="",
                permanent=False,
                charge_breaker=False,
                actor=ACTOR,
            )
            metrics.attempt_abandoned(delivery.handler, settled)
        expired += 1
    return expired


def sweep(now=None) -> Sweep:
    """One round; ``now`` stands for the database's clock (tests move it), by default read from the database."""
    now = now or clock.now()
    expired = expire_leases(now)
    woken = 0
    if due_deliveries(now).exists() and wakeup.queued_wakeups() < wakeup.live_worker_count():
        woken = wakeup.wake(wakeup.live_worker_count())
    return Sweep(expired=expired, woken=woken)
