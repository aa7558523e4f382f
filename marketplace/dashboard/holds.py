"""Why a delivery that is due has not run: its handler paused, or its context's breaker open.

A delivery's ``available_at`` is when it may next be claimed, not when it will be: past it, a paused handler or
an open breaker still holds it. Read once per page (a row per breaker and per paused handler), asked per delivery.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from messaging import selectors
from messaging.selectors import BreakerState


@dataclass(frozen=True)
class Holds:
    now: datetime
    breakers: dict = field(default_factory=dict)  # context -> its CircuitBreaker row
    paused: frozenset[str] = frozenset()

    @classmethod
    def read(cls, *, now: datetime | None = None) -> "Holds":
        return cls(
            now=now or timezone.now(),
            breakers=selectors.stored_breakers(),
            paused=frozenset(p.handler for p in selectors.paused_handlers()),
        )

    def reason(self, *, handler: str, context: str, available_at: datetime) -> tuple[str, datetime | None] | None:
        """Why a delivery due since ``available_at`` still waits, and until when if known; None if not due yet."""
        if available_at > self.now:
            return None
        if handler in self.paused:
            return "held: its handler is paused", None
        breaker = self.breakers.get(context)
        if breaker is None or breaker.state == BreakerState.CLOSED:
            return "due, waiting for a worker", None
        if breaker.blocks(self.now):
            return "held by open breaker, probes", breaker.open_until
        return "held by open breaker, its next claim probes it", None
