"""Step "outcome": how the attempt ended, and the failures recorded under the one error policy.

A failure rolls the handler's transaction back before it gets here; it is then
recorded in a transaction of its own by ``failures`` (retry or dead letter, and
the breaker charged only if the context is to blame). A lost lease records
nothing: the worker that holds it now owns the outcome. A success was already
marked inside the handler's transaction (step "transaction"). A grouped
attempt that would have waited for a lock (in its handler, its success or
its failure's record) records nothing either: it yields, and runs again in a
transaction of its own.
"""

import logging

from messaging.errors import HandlerTimeoutError, LeaseLostError
from messaging.runtime import failures
from messaging.runtime.contention import is_lock_wait_refused
from messaging.runtime.pipeline.attempt import DISCARDED, SUCCEEDED, YIELDED

logger = logging.getLogger("messaging.runtime.worker")  # where operators read the workers' lines


def step(attempt, next):
    delivery = attempt.delivery
    try:
        next(attempt)
        attempt.outcome = SUCCEEDED
    except LeaseLostError:
        logger.warning("delivery %s was re-claimed by another worker; this run's effects are discarded", delivery.pk)
        attempt.outcome = DISCARDED
    except (Exception, HandlerTimeoutError) as error:
        if attempt.grouped and is_lock_wait_refused(error):
            attempt.outcome = YIELDED
            return
        logger.warning("delivery %s to %s failed: %s", delivery.pk, delivery.handler, error)
        attempt.error = error
        try:
            attempt.outcome = failures.record(
                attempt.claim, error, started_at=attempt.started_at, duration_ms=attempt.duration_ms()
            )
        except Exception as recording_error:
            if not (attempt.grouped and is_lock_wait_refused(recording_error)):
                raise
            attempt.outcome = YIELDED  # the breaker's row is another's: record it on its own
