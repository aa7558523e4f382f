"""One error policy, written once.

Permanent errors (invalid payload, unknown type or handler, bad signature,
``PermanentError``) dead-letter at once. Anything else is transient: retried
under the handler's policy (immediately, then with backoff and jitter), then
dead-lettered. Every outcome is journaled in the transaction that records it.

A failure is charged to the destination context's circuit breaker only if the
context is to blame: not a permanent error (the message's fault), not a lost
race with another transaction (``contention``), not a lease lost to a crashed
or frozen worker (the worker's fault; the sweeper settles those). And the
failed probe of an open breaker does not use up its delivery's attempts: the
context is known to be down, so an outage of any length dead-letters nothing.
It waits behind the next probe instead, so probes take turns.
"""

import traceback as tracebacks
from datetime import timedelta

from django.db import transaction

from messaging.errors import PermanentError
from messaging.models import Delivery, DeliveryStatus, Step
from messaging.runtime import breaker, clock, journal, outcomes
from messaging.runtime.conf import messaging_settings
from messaging.runtime.contention import is_contention
from messaging.runtime.policy import DEFAULT_POLICY
from messaging.runtime.registry import registry


def policy_for(handler_name: str):
    handler = registry.handlers.get(handler_name)
    return handler.retry if handler else DEFAULT_POLICY


def describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if isinstance(error, PermanentError) else f"{type(error).__name__}: {text}"


def record(claim, error: BaseException, *, started_at=None, duration_ms: float | None = None) -> str:
    """Record a failed attempt of a claimed delivery; returns its new status."""
    with transaction.atomic():
        return settle(
            claim.delivery,
            token=claim.token,
            error=describe(error),
            trace="".join(tracebacks.format_exception(error)),
            permanent=isinstance(error, PermanentError),
            charge_breaker=not is_contention(error),
            probe=claim.probe,
            actor=claim.actor,
            # The attempt's "started" was rolled back with its handler: write it now.
            started=journal.started(claim, at=started_at) if started_at else None,
            duration_ms=duration_ms,
        )


def settle(
    delivery,
    *,
    token,
    error: str,
    trace: str,
    permanent: bool,
    actor: str,
    charge_breaker: bool = True,
    probe: bool = False,
    started=None,
    duration_ms=None,
):
    """Mark the attempt failed and schedule a retry, or dead-letter; returns the new status.

    Call in a transaction. ``started`` is the attempt's journal entry, if known.
    ``charge_breaker`` False: the context is not to blame (a crash, a lost race).
    ``probe``: the attempt probed an open breaker; a transient failure gives the attempt back.
    """
    now = clock.now()  # the retry is due by the clock that claims compare it with
    policy = policy_for(delivery.handler)
    uncounted = probe and not permanent
    attempts = delivery.attempts - 1 if uncounted else delivery.attempts
    delay = None if permanent else policy.delay_after(attempts)
    status = DeliveryStatus.DEAD if delay is None else DeliveryStatus.FAILED
    changes = dict(
        status=status,
        lease_token=None,
        lease_expires_at=None,
        last_error=error,
        traceback=trace,
        max_attempts=delivery.attempts if permanent else policy.max_attempts,
        updated_at=now,
    )
    if uncounted:
        changes["attempts"] = attempts
    if status == DeliveryStatus.DEAD:
        changes["finished_at"] = now
    elif uncounted:
        # Behind the next probe: probes take turns among the waiting deliveries, so one that fails for its own
        # reasons cannot keep the breaker open while others wait.
        changes["available_at"] = now + timedelta(seconds=max(delay, 2 * messaging_settings().breaker_cooldown))
    else:
        changes["available_at"] = now + timedelta(seconds=delay)
    if not Delivery.objects.filter(pk=delivery.pk, lease_token=token).update(**changes):
        return delivery.status  # re-claimed meanwhile: the new holder owns the outcome
    row = delivery.message
    entries = [started] if started else []
    entries.append(
        journal.entry_for(
            row, Step.FAILED, delivery=delivery, at=now, actor=actor, detail=error, duration_ms=duration_ms
        )
    )
    if status == DeliveryStatus.DEAD:
        reason = "permanent error" if permanent else f"gave up after {delivery.attempts} attempts"
        entries.append(
            journal.entry_for(
                row, Step.DEAD_LETTERED, delivery=delivery, at=now, actor=actor, detail=f"{reason}: {error}"
            )
        )
    else:
        when = "immediately" if delay == 0 else f"in {delay:.1f}s"
        detail = f"attempt {attempts + 1} of {policy.max_attempts} {when}"
        if uncounted:
            detail += " (a failed probe of an open breaker is not counted), once the breaker lets it through"
        entries.append(
            journal.entry_for(row, Step.RETRY_SCHEDULED, delivery=delivery, at=now, actor=actor, detail=detail)
        )
    journal.append(*entries)
    if charge_breaker and not permanent:
        breaker.record_failure(delivery.context, now)
    if status == DeliveryStatus.DEAD:
        outcomes.reply(row, delivery, succeeded=False, error=error)
    return status
