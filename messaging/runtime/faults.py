"""The fault lab: make a context's handlers slow, flaky or unavailable, on purpose.

Staff set, per destination context, "unavailable", an added latency and a
failure rate. The worker applies them to each attempt of that context's
handlers, and to no other (the pipeline's "fault_lab" step, in a context's chain
only while a fault is set for it): an unavailable context or an unlucky draw raises
``ServiceUnavailableError`` (a transient error, so retries, backoff, the
breaker and dead letters play out); the latency is part of the attempt, inside
the handler's time limit (a latency past the limit is a timeout), slept outside
any transaction so that SQLite's one writer is not held. A slow context takes
at most ``slow_context_workers()`` workers at a time, so it cannot starve the others.
"""

import random
import time

from messaging.errors import HandlerTimeoutError
from messaging.models import FaultSetting


class ServiceUnavailableError(Exception):
    """Transient: the destination context is down (set in the fault lab)."""


def snapshot() -> dict[str, FaultSetting]:
    """The contexts with a fault set, read once per batch of deliveries."""
    return {f.context: f for f in FaultSetting.objects.all() if f.is_active}


def latency_seconds(fault: FaultSetting | None) -> float:
    return fault.latency_ms / 1000 if fault else 0.0


def slow_contexts(faults: dict[str, FaultSetting]) -> set[str]:
    return {context for context, fault in faults.items() if fault.latency_ms}


def slow_context_workers(workers: int) -> int:
    """How many of a cluster's workers one slow context may hold at once: half, at least one."""
    return max(1, workers // 2)


def sleep_latency(fault: FaultSetting | None, *, timeout: float, what: str) -> float:
    """Sleep the fault's latency as part of an attempt limited to ``timeout``; returns the seconds slept.

    A latency of ``timeout`` or more sleeps ``timeout`` and ends the attempt as a timeout.
    """
    seconds = latency_seconds(fault)
    if not seconds:
        return 0.0
    time.sleep(min(seconds, timeout))
    if seconds >= timeout:
        latency = f"{seconds * 1000:g} ms of fault-lab latency"
        raise HandlerTimeoutError(f"{what} ran past its {timeout:g}s timeout ({latency})")
    return seconds


def raise_if_failing(fault: FaultSetting | None, rng: random.Random = random._inst) -> None:
    if fault is None:
        return
    if fault.unavailable:
        raise ServiceUnavailableError(f"service unavailable: {fault.context} is down (fault lab)")
    if fault.failure_rate and rng.uniform(0, 100) < fault.failure_rate:
        raise ServiceUnavailableError(
            f"service unavailable: {fault.context} failed at random ({fault.failure_rate}%, fault lab)"
        )
