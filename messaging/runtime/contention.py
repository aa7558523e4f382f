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


def is_contention(error: BaseException) -> bool:
    """Whether ``error`` is a transaction losing a race with another (worth retrying, nobody's fault)."""
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) in CONTENTION_SQLSTATES:
        return True
    return "database is locked" in str(error)  # SQLite: the busy timeout ran out


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
