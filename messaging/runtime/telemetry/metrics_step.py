"""The pipeline's metrics step: each attempt counted by how it ended, with its handling time.

It goes just before "outcome" (``messaging/apps.py``): it sees the outcome that step recorded, a timeout
among the errors, and times all the attempt does for the delivery, from loading the message to recording
a failure or committing a success of its own. What it counts is recorded when the attempt's transaction
commits (``metrics``): a grouped attempt with its group.

Registered whether metrics are on or not, so the pipeline reads the same in every process; off, it costs a
delivery one test of ``metrics.enabled``.
"""

from time import monotonic

from messaging.errors import HandlerTimeoutError
from messaging.runtime.pipeline.attempt import DEAD, FAILED, RELEASED, SUCCEEDED, YIELDED
from messaging.runtime.telemetry import metrics


def step(attempt, next):
    if not metrics.enabled():
        next(attempt)
        return
    started = monotonic()
    next(attempt)
    outcome = outcome_of(attempt)
    if outcome is None:
        return
    handled_after = None
    if outcome == SUCCEEDED:  # on the database's clock, which wrote the message's creation
        handled_after = max((attempt.claim.clock.now() - attempt.row.created_at).total_seconds(), 0.0)
    metrics.attempt_ended(attempt.delivery.handler, outcome, monotonic() - started, handled_after)


def outcome_of(attempt) -> str | None:
    """The ``outcome`` label of an attempt that ended, or None for a delivery that was not attempted after all."""
    if attempt.outcome in (RELEASED, YIELDED):
        return None  # given back unrun, or it runs again in a group of its own
    if attempt.outcome == SUCCEEDED:
        return SUCCEEDED
    if attempt.outcome == DEAD:
        return metrics.DEAD_LETTERED
    if attempt.outcome == FAILED:
        return "timed_out" if isinstance(attempt.error, HandlerTimeoutError) else "failed"
    return "discarded"  # its lease lost, before or after it ran: another worker owns the outcome
