"""Step "breaker": a context whose breaker opened during the batch gets its deliveries back unrun.

Outermost, because it acts on how the attempt ended: once a failure is
recorded (which may open the breaker), the batch stops running that context.
The breaker is read on the database's clock as the claim read it, the clock
its reopening time was written on.
"""

from messaging.runtime import breaker
from messaging.runtime.claims import release
from messaging.runtime.pipeline.attempt import RELEASED, SUCCEEDED, YIELDED


def step(attempt, next):
    if attempt.context in attempt.halted:
        release(attempt.claim)
        attempt.outcome = RELEASED
        return
    next(attempt)
    if attempt.outcome not in (SUCCEEDED, YIELDED) and breaker.is_blocking(attempt.context, attempt.claim.clock.now()):
        attempt.halted.add(attempt.context)
