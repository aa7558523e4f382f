"""Run deliveries synchronously, in-process: for tests of handlers and flows.

The same claim and execute code as the workers, without django-q2.
"""

from messaging.claims import delivery_claim_next
from messaging.worker import execute


def run_until_idle(*, now=None, limit: int = 1000, actor: str = "test") -> int:
    """Run due deliveries (and those they cause) until none is due; returns how many ran."""
    ran = 0
    while ran < limit:
        claim = delivery_claim_next(actor=actor, now=now)
        if claim is None:
            return ran
        execute(claim)
        ran += 1
    raise RuntimeError(f"still busy after {limit} deliveries: a handler loop?")
