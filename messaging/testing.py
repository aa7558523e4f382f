"""Run deliveries synchronously, in-process: for tests of handlers and flows.

The same claim and execute code as the workers, without django-q2.
"""

from messaging.runtime.claims import delivery_claim_batch
from messaging.runtime.worker import execute_batch


def run_until_idle(*, now=None, limit: int = 1000, actor: str = "test") -> int:
    """Run due deliveries (and those they cause) until none is due; returns how many ran."""
    ran = 0
    while ran < limit:
        claims = delivery_claim_batch(actor=actor, now=now)
        if not claims:
            return ran
        ran += execute_batch(claims)
    raise RuntimeError(f"still busy after {limit} deliveries: a handler loop?")
