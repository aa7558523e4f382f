"""The fault lab: make a context's handlers slow, flaky or unavailable, on purpose.

Staff set, per destination context, "unavailable", an added latency and a
failure rate. Before a handler runs the worker applies them: the latency is
slept outside any transaction (so SQLite's one writer is not held), and an
unavailable context or an unlucky draw raises ``ServiceUnavailableError`` — a
transient error, so retries, backoff, the breaker and dead letters play out.
"""

import random
import time

from messaging.models import FaultSetting


class ServiceUnavailableError(Exception):
    """Transient: the destination context is down (set in the fault lab)."""


def snapshot() -> dict[str, FaultSetting]:
    """The contexts with a fault set, read once per batch of deliveries."""
    return {f.context: f for f in FaultSetting.objects.all() if f.is_active}


def latency_seconds(faults: dict[str, FaultSetting], context: str) -> float:
    fault = faults.get(context)
    return fault.latency_ms / 1000 if fault else 0.0


def sleep_latency(faults: dict[str, FaultSetting], context: str) -> None:
    if seconds := latency_seconds(faults, context):
        time.sleep(seconds)


def raise_if_failing(faults: dict[str, FaultSetting], context: str, rng: random.Random = random._inst) -> None:
    fault = faults.get(context)
    if fault is None:
        return
    if fault.unavailable:
        raise ServiceUnavailableError(f"service unavailable: {context} is down (fault lab)")
    if fault.failure_rate and rng.uniform(0, 100) < fault.failure_rate:
        raise ServiceUnavailableError(
            f"service unavailable: {context} failed at random ({fault.failure_rate}%, fault lab)"
        )
