"""Step "lease": the lease must outlast the handler about to run, or the attempt is discarded."""

from messaging.errors import LeaseLostError
from messaging.runtime.claims import lease_renew_if_short


def step(attempt, next):
    if not lease_renew_if_short(attempt.claim):
        raise LeaseLostError(f"delivery {attempt.delivery.pk} lease lost before it started")
    next(attempt)
