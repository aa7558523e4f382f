"""Circuit breaker per destination context.

After ``breaker_threshold`` consecutive failed attempts the context's breaker
opens: its deliveries wait, unclaimed and not counted as attempts, until the
cool-down ends. Then exactly one claim wins the probe (a compare-and-set on
``open_until``); its success closes the breaker and makes the deliveries it held
back due at once (their backoff was for the outage, which is over), its failure
re-opens it.
"""

from datetime import timedelta

from django.db import transaction

from messaging.models import BreakerState, CircuitBreaker, Delivery, DeliveryStatus, Step
from messaging.runtime import clock, journal, wakeup
from messaging.runtime.conf import messaging_settings


def blocked_contexts(now):
    """Contexts whose breaker is open and not yet due for a probe (a queryset)."""
    return CircuitBreaker.objects.exclude(state=BreakerState.CLOSED).filter(open_until__gt=now).values("context")


def states() -> dict[str, CircuitBreaker]:
    """Breakers that are open, probing, or counting failures; a context absent here is clean."""
    return {b.context: b for b in CircuitBreaker.objects.exclude(state=BreakerState.CLOSED, consecutive_failures=0)}


def try_probe(context: str, now) -> bool:
    """Claim the single probe of an open breaker whose cool-down has passed."""
    cooldown = timedelta(seconds=messaging_settings().breaker_cooldown)
    return bool(
        CircuitBreaker.objects.filter(context=context, open_until__lte=now)
        .exclude(state=BreakerState.CLOSED)
        .update(state=BreakerState.HALF_OPEN, open_until=now + cooldown)
    )


def record_success(context: str) -> None:
    """A probe's success closes the breaker; any success resets a closed one's count.

    A success of a delivery that was already running when the breaker opened
    says little about the context now: the breaker waits for its probe.
    """
    breaker = CircuitBreaker.objects.select_for_update().filter(context=context).first()
    if breaker is None or breaker.state == BreakerState.OPEN:
        return
    was_probing = breaker.state == BreakerState.HALF_OPEN
    breaker.state, breaker.consecutive_failures, breaker.open_until = BreakerState.CLOSED, 0, None
    breaker.save()
    if was_probing:
        journal.record(Step.BREAKER_CLOSED, context=context, actor="worker", detail="probe succeeded")
        # After commit, in a statement of its own: no delivery row is locked while this breaker row is
        # (a claim locks them the other way round, deliveries then the breaker it probes).
        transaction.on_commit(lambda: release_held(context), robust=True)


def release_held(context: str) -> int:
    """The context's deliveries waiting out a retry backoff, or their turn behind a probe, made due now.

    Their wait was for the outage the closed breaker says is over: without this, a context back up
    looks down for as long as its longest backoff (up to twice the cool-down).
    """
    now = clock.now()
    held = Delivery.objects.filter(
        context=context, status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED], available_at__gt=now
    )
    released = held.update(available_at=now)
    if released:
        wakeup.wake(released)
    return released


def is_blocking(context: str, now) -> bool:
    breaker = CircuitBreaker.objects.filter(context=context).first()
    return breaker is not None and breaker.blocks(now)


def record_failure(context: str, now) -> None:
    """Count a failed attempt; open the breaker at the threshold or on a failed probe."""
    settings = messaging_settings()
    breaker, _ = CircuitBreaker.objects.select_for_update().get_or_create(context=context)
    breaker.consecutive_failures += 1
    should_open = breaker.state == BreakerState.HALF_OPEN or (
        breaker.state == BreakerState.CLOSED and breaker.consecutive_failures >= settings.breaker_threshold
    )
    if should_open:
        breaker.state = BreakerState.OPEN
        breaker.open_until = now + timedelta(seconds=settings.breaker_cooldown)
        journal.record(
            Step.BREAKER_OPENED,
            context=context,
            actor="worker",
            detail=f"{breaker.consecutive_failures} consecutive failures; "
            f"next probe after {settings.breaker_cooldown:g}s",
        )
    breaker.save()
