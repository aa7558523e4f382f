"""Step "transaction": the handler's transaction, in which its writes and the delivery's success stand or fall.

The success is a compare-and-set on the lease token: a run whose lease was
taken over meanwhile is rolled back whole. The breaker's count is reset, the
journal rows written (or handed to the batch, which writes the group's rows in
one insert) and a command's outcome sent, all before the commit.
"""

import json

from django.db import transaction

from messaging.errors import LeaseLostError, PermanentError
from messaging.models import Delivery, DeliveryStatus, JournalEntry, Step
from messaging.runtime import breaker, journal, outcomes


def step(attempt, next):
    row = attempt.row
    with transaction.atomic():
        next(attempt)
        entries = succeed(attempt)
        if attempt.successes is None or row.reply_to:  # an outcome follows: "succeeded" goes first
            journal.append(*entries)
            entries = []
        outcomes.reply(row, attempt.delivery, succeeded=True, result=attempt.result)
    if attempt.successes is not None:
        attempt.successes.extend(entries)


def succeed(attempt) -> list[JournalEntry]:
    """Mark the delivery succeeded if the lease is still ours; returns the attempt's journal rows."""
    claim, duration_ms = attempt.claim, attempt.duration_ms()
    delivery, row, now, result = claim.delivery, claim.delivery.message, claim.clock.now(), attempt.result
    if result is not None and row.kind != "command":
        result = None  # only commands have outcomes worth keeping
    try:
        json.dumps(result)
    except TypeError as error:
        raise PermanentError(f"handler {delivery.handler} returned a value that is not JSON: {error}") from error
    still_ours = Delivery.objects.filter(pk=delivery.pk, lease_token=claim.token, status=DeliveryStatus.RUNNING).update(
        status=DeliveryStatus.SUCCEEDED,
        lease_token=None,
        lease_expires_at=None,
        last_error="",
        traceback="",
        result=result,
        finished_at=now,
        updated_at=now,
    )
    if not still_ours:  # re-claimed by another worker: roll this run back
        raise LeaseLostError(f"delivery {delivery.pk} lease lost")
    if not claim.breaker_clean:
        breaker.record_success(delivery.context)
    return [
        journal.started(claim, at=attempt.started_at),
        journal.entry_for(row, Step.SUCCEEDED, delivery=delivery, at=now, actor=claim.actor, duration_ms=duration_ms),
    ]
