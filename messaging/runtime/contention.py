"""Transactions that got in each other's way: a deadlock, a serialisation failure, SQLite's lock held too long.

Nobody's fault and not the handler's: worth running again at once, never
counted against a context's circuit breaker, never shown to a customer as a
crash. ``atomic_retried`` runs a service's transaction again when it loses
such a race (only as the outermost transaction: an inner one cannot restart
alone, its owner decides).
"""

import functools
import logging
import random
import time

from django.db import OperationalError, connection, transaction

logger = logging.getLogger(__name__)

RETRIES = 3  # runs after the first, with a short random pause between them
CONTENTION_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
LOCK_NOT_AVAILABLE = "55P03"  # a lock wait ran past ``lock_timeout``
# The longest a grouped delivery waits for a lock: well under PostgreSQL's deadlock_timeout (1 s), so that the
# limit, not the deadlock detector, ends a wait that closes a cycle.
GROUPED_LOCK_WAIT_MAX = 0.2


def is_contention(error: BaseException) -> bool:
    """Whether ``error`` is a transaction losing a race with another (worth retrying, nobody's fault)."""
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) in CONTENTION_SQLSTATES:
        return True
    return "database is locked" in str(error)  # SQLite: the busy timeout ran out


def lock_waits_limit(seconds: float) -> None:
    """PostgreSQL: for the rest of this transaction, a statement waits for a lock at most ``seconds``
    (``GROUPED_LOCK_WAIT_MAX`` at most).

    A batch's group of deliveries shares one transaction: a delivery that waited
    for a lock while holding its group's could close a cycle with another group.
    Limited, it gives up instead (``is_lock_wait_refused``) and runs again in a
    transaction of its own, so the groups never deadlock. SQLite has no lock waits.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            milliseconds = max(1, round(min(seconds, GROUPED_LOCK_WAIT_MAX) * 1000))
            cursor.execute(f"SET LOCAL lock_timeout = {milliseconds}")


def is_lock_wait_refused(error: BaseException) -> bool:
    """Whether ``error`` is a statement that gave up waiting for a lock (``lock_waits_limit``)."""
    return isinstance(error, OperationalError) and getattr(error.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE


def atomic_retried(func):
    """``@transaction.atomic``, run again (up to ``RETRIES`` times) when it loses a deadlock or serialisation race."""

    @functools.wraps(func)
    def run(*args, **kwargs):
        if connection.in_atomic_block:
            with transaction.atomic():
                return func(*args, **kwargs)
        for retry in range(RETRIES + 1):
            try:
                with transaction.atomic():
                    return func(*args, **kwargs)
            except OperationalError as error:
                if retry == RETRIES or not is_contention(error) or "database is locked" in str(error):
                    raise  # SQLite already waited its whole busy timeout: do not make the caller wait again
                logger.warning("%s lost a race (%s): running it again", func.__qualname__, error)
                time.sleep(random.uniform(0.005, 0.05) * 2**retry)
        raise AssertionError("unreachable")

    return run
