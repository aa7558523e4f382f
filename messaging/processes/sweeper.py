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
    """Settle stranded deliveries as failed attempts (not charged to their breakers); returns how many."""
    expired = 0
    for delivery in stranded(now).select_related("message").order_by("lease_expires_at")[:500]:
        with transaction.atomic():
            failures.settle(
                delivery,
                token=delivery.lease_token,
                error=why_stranded(delivery, now),
                trace="",
                permanent=False,
                charge_breaker=False,
                actor=ACTOR,
            )
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
