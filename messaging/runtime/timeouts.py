"""Stops a handler that runs past its timeout, from inside the worker process.

Uses SIGALRM (main thread only, as django-q2 runs tasks), and puts back any
alarm already set: django-q2 arms one for the whole task.
"""

import signal
import threading
from contextlib import contextmanager
from time import monotonic

from messaging.errors import HandlerTimeoutError


@contextmanager
def time_limit(seconds: float, what: str, *, shown: float | None = None):
    """Stop the block after ``seconds``; the error names the timeout as ``shown`` (the handler's whole limit)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only; the lease still bounds the run
        return

    def expire(signum, frame):
        raise HandlerTimeoutError(f"{what} ran past its {shown or seconds:g}s timeout")

    started = monotonic()
    previous_handler = signal.signal(signal.SIGALRM, expire)
    previous_delay, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:
            remaining = previous_delay - (monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(remaining, 0.001))
