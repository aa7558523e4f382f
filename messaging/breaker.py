"""Circuit breaker per destination context.

After ``breaker_threshold`` consecutive failed attempts the context's breaker
opens: its deliveries wait, unclaimed and not counted as attempts, until the
cool-down ends. Then exactly one claim wins the probe (a compare-and-set on
``open_until``); its success closes the breaker, its failure re-opens it.
"""

from datetime import timedelta

from messaging import journal
from messaging.conf import messaging_settings
from messaging.models import BreakerState, CircuitBreaker, Step


def blocked_contexts(now):
    """Contexts whose breaker is open and not yet due for a probe (a queryset)."""
    return CircuitBreaker.objects.exclude(state=BreakerState.CLOSED).filter(open_until__gt=now).values("context")


def probing_contexts():
    return CircuitBreaker.objects.exclude(state=BreakerState.CLOSED).values("context")


def try_probe(context: str, now) -> bool:
    """Claim the single probe of an open breaker whose cool-down has passed."""
    cooldown = timedelta(seconds=messaging_settings().breaker_cooldown)
    return bool(
        CircuitBreaker.objects.filter(context=context, open_until__lte=now)
        .exclude(state=BreakerState.CLOSED)
        .update(state=BreakerState.HALF_OPEN, open_until=now + cooldown)
    )


def record_success(context: str) -> None:
    """Reset the context's failure count; close its breaker if it was probing."""
    states = list(
        CircuitBreaker.objects.filter(context=context)
        .exclude(state=BreakerState.CLOSED, consecutive_failures=0)
        .values_list("state", flat=True)
    )
    if not states:
        return
    CircuitBreaker.objects.filter(context=context).update(
        state=BreakerState.CLOSED, consecutive_failures=0, open_until=None
    )
    if states[0] != BreakerState.CLOSED:
        journal.record(Step.BREAKER_CLOSED, context=context, actor="worker", detail="probe succeeded")


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
