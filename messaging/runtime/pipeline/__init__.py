"""The pipeline one delivery attempt runs through: ordered steps around the handler.

A step is one callable with one signature::

    def step(attempt: Attempt, next: Callable[[Attempt], None]) -> None

It does its part, calls ``next(attempt)`` to run the rest of the chain (or does
not, to stop the attempt there), and may act on what the rest did once it
returns or raises. ``attempt`` (``pipeline.attempt.Attempt``) carries the claim
and its delivery, the stored ``row``, and as the steps fill them in the
``handler``, the ``message``, the ``result`` and the ``outcome`` ("succeeded",
"failed", "dead", "discarded", "released" or "yielded") with the ``error``, if any.

The steps, outermost first (one module each):

- ``breaker``: a context whose breaker opened during the batch gets its
  deliveries back unrun; after a failure that opened it, the batch stops.
- ``outcome``: a lost lease is discarded; any other error is recorded by
  ``failures`` (the one error policy) in a transaction of its own, after the
  handler's was rolled back.
- ``load``: the handler and the message as stored (permanent errors first).
- ``lease``: the lease must outlast the handler about to run.
- ``fault_lab``: the fault set for the context (failures, latency), in the
  chain only while one is set: a healthy context's chain has no such step.
- ``transaction``: the handler's transaction; the delivery is marked
  succeeded in it, with its journal rows, the breaker reset and a command's
  outcome, before the commit.
- ``time_limit``: the alarm, around the handler only (not the commit), for the
  handler's timeout less the fault lab's latency.
- ``handler``: calls the handler.

So a step placed after ``outcome`` sees errors as they are raised, one placed
before it sees the recorded outcome; one placed after ``transaction`` runs in
the handler's transaction (and its writes roll back with it), after
``time_limit`` under the handler's timeout. All of them run inside the batch's
group transaction (see ``worker.execute_batch``), except in a chain that
``runs_alone``: one that sleeps the fault lab's latency, outside any transaction.

Adding a step (tracing, metrics) is one call, from an ``AppConfig.ready()``::

    pipeline.register(timed, before="outcome")           # or after="load", ...

A step goes just before or after a step named; its ``name`` (default: its
module and qualified name) must be new. A wrong registration (neither or both
of ``before``/``after``, an unknown neighbour, a name taken, a callable that
does not take ``(attempt, next)``) raises ``PipelineError`` at the call, so at
start-up, never at the first message.

The worker reads the fault lab once per batch (``Chains``) and runs each claim
through its context's chain (``Chains()[context].run(claim)``); chains are
composed once per batch from the steps registered then.
"""

from messaging.runtime.pipeline.attempt import DEAD, DISCARDED, FAILED, RELEASED, SUCCEEDED, YIELDED, Attempt
from messaging.runtime.pipeline.chain import (
    FAULT_LAB,
    Chain,
    Chains,
    PipelineError,
    Step,
    chain_build,
    names,
    register,
    unregister,
)

__all__ = [
    "DEAD",
    "DISCARDED",
    "FAILED",
    "FAULT_LAB",
    "RELEASED",
    "SUCCEEDED",
    "YIELDED",
    "Attempt",
    "Chain",
    "Chains",
    "PipelineError",
    "Step",
    "chain_build",
    "names",
    "register",
    "unregister",
]
