"""Step "fault_lab": the fault staff set for the context, in the chain only while one is set.

An unavailable context or an unlucky draw fails the attempt (transient); the
latency is slept here, before the handler's transaction opens, and counts
against the handler's time limit.
"""

from messaging.runtime import faults


def step(attempt, next):
    faults.raise_if_failing(attempt.fault)
    attempt.time_left -= faults.sleep_latency(
        attempt.fault, timeout=attempt.handler.timeout, what=f"handler {attempt.handler.name}"
    )
    next(attempt)
