"""Step "transaction": the handler's transaction, in which its writes and the delivery's success stand or fall.

The success is a compare-and-set on the lease token: a run whose lease was
taken over meanwhile is rolled back whole. The breaker's count is reset, the
journal rows written (or handed to the batch, which writes the group's rows in
one insert) and a command's outcome sent, all before the commit.

The compare-and-set runs once per delivery, so it is one statement written
once (``_mark_succeeded``) rather than a queryset built each time: building
it cost more than running it.
"""

import json
from functools import cache

from django.db import connection, transaction

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
    if not _mark_succeeded(delivery.pk, claim.token, result=result, now=now):  # re-claimed: roll this run back
        raise LeaseLostError(f"delivery {delivery.pk} lease lost")
    if not claim.breaker_clean:
        breaker.record_success(delivery.context)
    return [
        journal.started(claim, at=attempt.started_at),
        journal.entry_for(row, Step.SUCCEEDED, delivery=delivery, at=now, actor=claim.actor, duration_ms=duration_ms),
    ]


_SUCCEEDED = (  # the fields a success sets, in the statement's order
    "status",
    "lease_token",
    "lease_expires_at",
    "last_error",
    "traceback",
    "result",
    "finished_at",
    "updated_at",
)


@cache
def _succeeded_statement(vendor: str) -> str:
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(Delivery._meta.get_field(name).column)} = %s" for name in _SUCCEEDED)
    return (
        f"UPDATE {quote(Delivery._meta.db_table)} SET {assignments} "
        f"WHERE {quote('id')} = %s AND {quote('lease_token')} = %s AND {quote('status')} = %s"
    )


def _mark_succeeded(pk: int, token, *, result, now) -> bool:
    """The ORM's ``filter(pk, lease_token, status=running).update(...)``: True if the lease was still ours."""
    values = dict(zip(_SUCCEEDED, (DeliveryStatus.SUCCEEDED, None, None, "", "", result, now, now), strict=True))
    params = [_db_value(name, value) for name, value in values.items()]
    params += [pk, _db_value("lease_token", token), DeliveryStatus.RUNNING]
    with connection.cursor() as cursor:
        cursor.execute(_succeeded_statement(connection.vendor), params)
        return cursor.rowcount == 1


def _db_value(name: str, value):
    # None is SQL NULL, as the ORM's UPDATE writes it (a JSON field would otherwise store JSON null).
    return None if value is None else Delivery._meta.get_field(name).get_db_prep_save(value, connection)
