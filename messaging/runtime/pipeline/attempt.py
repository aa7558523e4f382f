"""One attempt at a claimed delivery, as the steps of the pipeline see it and fill it in."""

from dataclasses import dataclass, field
from datetime import datetime
from time import monotonic
from typing import Any

from messaging.models import FaultSetting
from messaging.runtime.claims import Claim
from messaging.runtime.registry import Handler

SUCCEEDED = "succeeded"  # the handler's writes and the delivery's success committed together
FAILED = "failed"  # recorded by the error policy: a retry is scheduled
DEAD = "dead"  # recorded by the error policy: dead-lettered
DISCARDED = "discarded"  # the lease was lost to another worker: nothing recorded, the new holder owns it
RELEASED = "released"  # given back unrun: the context's breaker opened earlier in the batch
YIELDED = "yielded"  # grouped, it would have waited for a lock: nothing recorded, it runs again on its own


@dataclass
class Attempt:
    claim: Claim
    halted: set[str]  # contexts whose breaker opened during this batch, shared by its attempts
    successes: list | None = None  # given: a success's journal rows go here, for the batch's commit
    fault: FaultSetting | None = None  # the fault lab's setting for its context, as read for the batch
    grouped: bool = False  # it shares a transaction with deliveries before it: it may not wait for locks
    started_at: datetime | None = None  # the database's time, as the claim's clock tells it (set at creation)
    started: float = field(default_factory=monotonic)
    handler: Handler | None = None  # set by the "load" step, with the message
    message: Any = None
    time_left: float = 0.0  # seconds the handler may still run: its timeout, less the fault lab's latency
    result: Any = None  # what the handler returned
    outcome: str = ""  # one of the constants above, once known
    error: BaseException | None = None  # the error the attempt failed with, if it did

    def __post_init__(self):
        if self.started_at is None:
            self.started_at = self.claim.clock.now()

    @property
    def delivery(self):
        return self.claim.delivery

    @property
    def row(self):
        """The stored message (``messaging.models.Message``)."""
        return self.claim.delivery.message

    @property
    def context(self) -> str:
        return self.claim.delivery.context

    def duration_ms(self) -> float:
        return (monotonic() - self.started) * 1000
