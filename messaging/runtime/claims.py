"""Claiming due deliveries with a lease.

Candidates are read without a lock (a plain WAL read on SQLite), skipping
paused handlers and contexts whose breaker is open; then one short write
transaction leases a small batch of them (one token, an expiry, one more
attempt each). The status guard in that UPDATE makes it a compare-and-set, so
two workers that read the same candidates cannot both lease one. Batches cut
write transactions on SQLite, which has one writer at a time; they stay small
and split between workers so that slow handlers still run in parallel. A
context slowed down in the fault lab is claimed one delivery at a time, and by
no more than its share of the workers (``faults.slow_context_workers``).

A lease outlasts the handler about to run; a worker working through its batch
renews the leases of the deliveries still waiting in its hands, so a slow one
never makes the others' run out.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from math import ceil

from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from messaging.models import WAITING_STATUSES, Delivery, DeliveryStatus, HandlerState
from messaging.runtime import breaker, faults, wakeup
from messaging.runtime.conf import messaging_settings
from messaging.runtime.registry import registry


@dataclass
class Claim:
    delivery: Delivery
    token: uuid.UUID
    actor: str
    breaker_clean: bool = False  # no failures on record for its context: success need not reset it
    probe: bool = False  # the one delivery let through an open breaker


def due_deliveries(now):
    """Waiting deliveries that are due and may run now (a queryset)."""
    paused = HandlerState.objects.filter(paused=True).values("handler")
    return (
        Delivery.objects.filter(status__in=WAITING_STATUSES, available_at__lte=now)
        .exclude(handler__in=paused)
        .exclude(context__in=breaker.blocked_contexts(now))
    )


def lease_seconds(handler_name: str) -> float:
    handler = registry.handlers.get(handler_name)
    timeout = handler.timeout if handler else messaging_settings().handler_timeout
    return timeout + messaging_settings().lease_grace


def delivery_claim_batch(*, actor: str, now=None, limit: int | None = None) -> list[Claim]:
    """Lease up to ``limit`` due deliveries, oldest first; [] when none is due."""
    now = now or timezone.now()
    limit = limit or messaging_settings().claim_batch
    paused = set(HandlerState.objects.filter(paused=True).values_list("handler", flat=True))
    breakers = breaker.states()
    blocked = {context for context, b in breakers.items() if b.blocks(now)}
    slow = _slow_context_room(faults.snapshot())
    blocked |= {context for context, room in slow.items() if room <= 0}
    candidates = list(
        Delivery.objects.filter(status__in=WAITING_STATUSES, available_at__lte=now)
        .exclude(handler__in=paused)
        .exclude(context__in=blocked)
        .order_by("available_at", "id")
        .values_list("id", "context")[: limit * wakeup.worker_count()]
    )
    # Share a backlog between workers rather than one worker taking it all.
    take = min(limit, ceil(len(candidates) / wakeup.worker_count()))
    chosen, probing = [], set()
    for pk, context in candidates:
        if len(chosen) == take:
            break
        if context in slow:
            if slow[context] <= 0:
                continue
            slow[context] = 0  # one slow delivery per batch: it runs alone, its latency outside a transaction
        if context in breakers and breakers[context].awaits_probe(now):
            # One delivery is the probe of an open breaker, and only if we win it.
            if context in probing or not breaker.try_probe(context, now):
                continue
            probing.add(context)
        chosen.append(pk)
    if not chosen:
        return []
    token = uuid.uuid4()
    with transaction.atomic():
        Delivery.objects.filter(pk__in=chosen, status__in=WAITING_STATUSES).update(
            status=DeliveryStatus.RUNNING,
            lease_token=token,
            lease_expires_at=now + timedelta(seconds=lease_seconds("")),  # renewed per handler if short
            attempts=F("attempts") + 1,
            updated_at=now,
        )
        claimed = list(Delivery.objects.filter(pk__in=chosen, lease_token=token).select_related("message"))
    claimed.sort(key=lambda d: (d.available_at, d.pk))
    return [
        Claim(d, token, actor, breaker_clean=d.context not in breakers, probe=d.context in probing) for d in claimed
    ]


def _slow_context_room(lab) -> dict[str, int]:
    """For each context the fault lab slows down: how many more of its deliveries may run now."""
    contexts = faults.slow_contexts(lab)
    if not contexts:
        return {}
    running = dict(
        Delivery.objects.filter(status=DeliveryStatus.RUNNING, context__in=contexts)
        .order_by()
        .values_list("context")
        .annotate(n=Count("id"))
    )
    share = faults.slow_context_workers(wakeup.worker_count())
    return {context: share - running.get(context, 0) for context in contexts}


def delivery_claim_next(*, actor: str, now=None) -> Claim | None:
    """Lease the next due delivery, or return None when there is none."""
    claims = delivery_claim_batch(actor=actor, now=now, limit=1)
    return claims[0] if claims else None


def release(claim: Claim) -> None:
    """Give a claimed delivery back unrun, its attempt not counted (its context's breaker opened)."""
    delivery = claim.delivery
    Delivery.objects.filter(pk=delivery.pk, lease_token=claim.token).update(
        status=DeliveryStatus.FAILED if delivery.attempts > 1 else DeliveryStatus.PENDING,
        attempts=delivery.attempts - 1,
        lease_token=None,
        lease_expires_at=None,
    )


def lease_renew_if_short(claim: Claim, *, now=None) -> bool:
    """Make sure the lease outlasts the handler about to run; False if it was lost."""
    now = now or timezone.now()
    needed = now + timedelta(seconds=lease_seconds(claim.delivery.handler))
    if claim.delivery.lease_expires_at >= needed - timedelta(seconds=messaging_settings().lease_grace / 2):
        return True
    renewed = Delivery.objects.filter(
        pk=claim.delivery.pk, lease_token=claim.token, status=DeliveryStatus.RUNNING
    ).update(lease_expires_at=needed)
    claim.delivery.lease_expires_at = needed
    return bool(renewed)


def leases_renew(claims: list[Claim], *, now=None) -> None:
    """Renew, in one statement, the leases of claims a worker still holds that would run short soon.

    A claim whose lease was lost meanwhile is left as it is: its run is refused at commit.
    """
    now = now or timezone.now()
    half_grace = timedelta(seconds=messaging_settings().lease_grace / 2)
    short = [c for c in claims if c.delivery.lease_expires_at < now + _lease(c) - half_grace]
    if not short:
        return
    until = now + max(_lease(c) for c in short)
    Delivery.objects.filter(
        pk__in=[c.delivery.pk for c in short], lease_token__in={c.token for c in short}, status=DeliveryStatus.RUNNING
    ).update(lease_expires_at=until)
    for claim in short:
        claim.delivery.lease_expires_at = until


def _lease(claim: Claim) -> timedelta:
    return timedelta(seconds=lease_seconds(claim.delivery.handler))
