"""Step "time_limit": stops the handler at its timeout, less what the fault lab's latency already used.

Inside the handler's transaction and around the handler only: the alarm never
fires while the success is being recorded or committed.
"""

from messaging.runtime.timeouts import time_limit


def step(attempt, next):
    handler = attempt.handler
    with time_limit(attempt.time_left, f"handler {handler.name}", shown=handler.timeout):
        next(attempt)
