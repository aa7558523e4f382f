"""Claiming due deliveries with a lease.

A claim chooses a small batch of due deliveries, oldest first, under the rules
of the moment (``choice``: paused handlers, breakers and their probes, the
fault lab's slow contexts, a backlog shared between workers) and leases it
(one token, an expiry, one more attempt each) in one short write transaction.
How two workers are kept off one delivery depends on the database:

- PostgreSQL: the rows are chosen ``FOR UPDATE SKIP LOCKED`` by the statement
  (or in the transaction) that leases them, so workers claiming at the same
  moment take disjoint rows, and none comes back empty while others are due.
  The usual claim is one statement (``claim_statement``); a moment with a
  breaker not closed or a context slowed down by the fault lab also takes
  ``choice``'s rules, decided in Python, for those contexts.
- SQLite (one writer at a time): candidates are read without a lock (a plain
  WAL read), then leased by an UPDATE guarded by their status, a
  compare-and-set: two workers that read the same candidates cannot both
  lease one.

Due times and leases are read on the database's clock (``clock``), once per
claim, so they mean the same on every host. Batches stay small and split
between workers so that slow handlers still run in parallel.

A lease outlasts the handler about to run; a worker working through its batch
renews the leases of the deliveries still waiting in its hands, so a slow one
never makes the others' run out.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F

from messaging.models import WAITING_STATUSES, Delivery, DeliveryStatus, HandlerState
from messaging.runtime import breaker, choice, claim_statement, clock, wakeup
from messaging.runtime.clock import HOST, Clock
from messaging.runtime.conf import messaging_settings
from messaging.runtime.registry import registry


@dataclass
class Claim:
    delivery: Delivery
    token: uuid.UUID
    actor: str
    breaker_clean: bool = False  # no failures on record for its context: success need not reset it
    probe: bool = False  # the one delivery let through an open breaker
    clock: Clock = HOST  # the database's clock as read when it was claimed: for renewing its lease
    faults_set: bool = True  # False: the claim saw no fault set in the fault lab, which its batch need not read


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
    """Lease up to ``limit`` due deliveries, oldest first; [] when none is due.

    ``now`` stands for the database's clock (tests move it); by default it is read from the database.
    """
    limit = limit or messaging_settings().claim_batch
    if connection.features.has_select_for_update_skip_locked and now is None:
        return _claimed_in_one_statement(actor, limit)
    reading = HOST if now else clock.database()
    now = now or reading.now()
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            return _leased(choice.choose_locking(now, limit), actor, reading)
    return _leased(choice.choose_reading(now, limit), actor, reading)


def _claimed_in_one_statement(actor: str, limit: int) -> list[Claim]:
    """PostgreSQL: the usual claim in one statement (``claim_statement``); ``choice`` only for what it left.

    Contexts it leaves out (a breaker not closed, a slow context) are offered at least one place in the
    batch, so that a probe is never starved by a long backlog of others.
    """
    leased = claim_statement.lease(limit=limit, workers=wakeup.worker_count(), lease_seconds=lease_seconds(""))
    reading = clock.read_as(leased.now) if leased.now else HOST
    claims = [
        Claim(
            delivery,
            leased.token,
            actor,
            clock=reading,
            breaker_clean=leased.clean[delivery.pk],
            faults_set=leased.faults_set,
        )
        for delivery in leased.deliveries
    ]
    if leased.special:
        reading = clock.database()
        with transaction.atomic():
            ruled = choice.choose_locking(reading.now(), max(1, limit - len(claims)), ruled_only=True)
            claims += _leased(ruled, actor, reading)
    return claims


def _leased(batch: choice.Choice, actor: str, reading: Clock) -> list[Claim]:
    if not batch.chosen:
        return []
    token = uuid.uuid4()
    lease = {
        "status": DeliveryStatus.RUNNING,
        "lease_token": token,
        "lease_expires_at": batch.now + timedelta(seconds=lease_seconds("")),  # renewed per handler if short
        "updated_at": batch.now,
    }
    with transaction.atomic(savepoint=False):
        Delivery.objects.filter(pk__in=batch.chosen, status__in=WAITING_STATUSES).update(
            attempts=F("attempts") + 1, **lease
        )
        if batch.locked:  # read whole under the lock: nothing changed them since but this update
            claimed = [batch.locked[pk] for pk in batch.chosen]
            for delivery in claimed:
                delivery.attempts += 1
                vars(delivery).update(lease)
        else:
            claimed = list(Delivery.objects.filter(pk__in=batch.chosen, lease_token=token).select_related("message"))
    claimed.sort(key=lambda d: (d.available_at, d.pk))
    return [
        Claim(
            d,
            token,
            actor,
            clock=reading,
            breaker_clean=d.context not in batch.breakers,
            probe=d.context in batch.probing,
        )
        for d in claimed
    ]


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
    now = now or claim.clock.now()
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
    if not claims:
        return
    now = now or claims[0].clock.now()
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
