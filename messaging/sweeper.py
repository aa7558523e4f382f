"""Makes good what a crash or a lost wake-up left behind.

Run every few seconds by ``manage.py messaging_sweeper``: a running delivery
whose lease expired (its worker died, hung past django-q2's timeout, or was
paused) counts as a failed attempt and is retried or dead-lettered; if due
deliveries wait and no wake-up is queued, workers are woken.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from messaging import failures, wakeup
from messaging.claims import due_deliveries
from messaging.models import Delivery, DeliveryStatus

ACTOR = "sweeper"


@dataclass(frozen=True)
class Sweep:
    expired: int
    woken: int


def expire_leases(now) -> int:
    expired = 0
    stale = (
        Delivery.objects.filter(status=DeliveryStatus.RUNNING, lease_expires_at__lt=now)
        .select_related("message")
        .order_by("lease_expires_at")[:500]
    )
    for delivery in stale:
        with transaction.atomic():
            failures.settle(
                delivery,
                token=delivery.lease_token,
                error="lease expired: the worker died or the handler ran past django-q2's timeout",
                trace="",
                permanent=False,
                actor=ACTOR,
            )
        expired += 1
    return expired


def sweep(now=None) -> Sweep:
    now = now or timezone.now()
    expired = expire_leases(now)
    woken = 0
    if due_deliveries(now).exists() and wakeup.queued_wakeups() < wakeup.worker_count():
        woken = wakeup.wake(wakeup.worker_count())
    return Sweep(expired=expired, woken=woken)
