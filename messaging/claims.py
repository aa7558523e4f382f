"""Claiming due deliveries with a lease.

A claim is one short transaction: pick the oldest due delivery whose handler
is not paused and whose context's breaker lets it through, lease it (token +
expiry), count the attempt and journal "started". On PostgreSQL the pick uses
``SKIP LOCKED``; on SQLite the IMMEDIATE transaction serialises claimers.
The status guard in the UPDATE makes the claim a compare-and-set either way.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from messaging import breaker, journal
from messaging.conf import messaging_settings
from messaging.models import WAITING_STATUSES, Delivery, DeliveryStatus, Step, Subscription
from messaging.registry import registry

CANDIDATES = 4


@dataclass
class Claim:
    delivery: Delivery
    token: uuid.UUID
    actor: str


def due_deliveries(now):
    paused = Subscription.objects.filter(paused=True).values("handler")
    return (
        Delivery.objects.filter(status__in=WAITING_STATUSES, available_at__lte=now)
        .exclude(handler__in=paused)
        .exclude(context__in=breaker.blocked_contexts(now))
    )


def lease_seconds(handler_name: str) -> float:
    handler = registry.handlers.get(handler_name)
    timeout = handler.timeout if handler else messaging_settings().handler_timeout
    return timeout + messaging_settings().lease_grace


def delivery_claim_next(*, actor: str, now=None) -> Claim | None:
    """Lease the next due delivery, or return None when there is none."""
    now = now or timezone.now()
    with transaction.atomic():
        candidates = (
            due_deliveries(now)
            .annotate(probe=Exists(breaker.probing_contexts().filter(context=OuterRef("context"))))
            .select_related("message")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("available_at", "id")[:CANDIDATES]
        )
        for delivery in candidates:
            if delivery.probe and not breaker.try_probe(delivery.context, now):
                continue
            token = uuid.uuid4()
            expires = now + timedelta(seconds=lease_seconds(delivery.handler))
            claimed = Delivery.objects.filter(pk=delivery.pk, status__in=WAITING_STATUSES).update(
                status=DeliveryStatus.RUNNING,
                lease_token=token,
                lease_expires_at=expires,
                attempts=delivery.attempts + 1,
                updated_at=now,
            )
            if not claimed:
                continue
            delivery.status, delivery.lease_token, delivery.lease_expires_at = DeliveryStatus.RUNNING, token, expires
            delivery.attempts += 1
            detail = "probe of an open circuit breaker" if delivery.probe else ""
            journal.append(
                journal.entry_for(delivery.message, Step.STARTED, delivery=delivery, at=now, actor=actor, detail=detail)
            )
            return Claim(delivery=delivery, token=token, actor=actor)
    return None
