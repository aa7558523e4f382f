"""Append-only journal of every step, in the transaction of the step itself.

``seq`` comes from the table's sequence when a row is inserted, and writers
never wait for each other: transactions commit in any order, so a row with a
smaller ``seq`` can become visible after a larger one. Readers that resume
"after seq N" read only up to the horizon (``messaging.runtime.journal_horizon``),
below which no row can still appear. For that, on PostgreSQL, each transaction
that appends holds a *shared* advisory lock until it ends: shared locks never
conflict, so they are a register of open writers, not a queue.
"""

from django.db import connection, transaction
from django.utils import timezone

from messaging.models import JournalEntry, Step

JOURNAL_WRITERS_KEY = 0x6A6F75726E616C  # "journal": the advisory lock key open writers hold, shared


def writer_registration() -> tuple[str, list]:
    """PostgreSQL: the statement that marks this transaction as an open journal writer until it ends.

    It must run before the transaction's journal rows take their seq: ``append`` runs it first, and a caller
    sending it with other statements in one round trip puts it before its journal inserts.
    """
    return "SELECT pg_advisory_xact_lock_shared(%s)", [JOURNAL_WRITERS_KEY]


def _register_writer() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(*writer_registration())


def entry_for(message, step: str, *, delivery=None, at=None, **fields) -> JournalEntry:
    """A journal row describing ``step`` of ``message`` (and of ``delivery``, if given)."""
    if delivery is not None:
        fields.setdefault("handler", delivery.handler)
        fields.setdefault("attempt", delivery.attempts)
    return JournalEntry(
        at=at or timezone.now(),
        step=step,
        message_id=message.id,
        kind=message.kind,
        type=message.type,
        context=message.context,
        correlation_id=message.correlation_id,
        causation_id=message.causation_id,
        **fields,
    )


def started(claim, *, at) -> JournalEntry:
    """The start of a claimed delivery's attempt (written when the attempt ends)."""
    detail = "probe of an open circuit breaker" if claim.probe else ""
    return entry_for(
        claim.delivery.message, Step.STARTED, delivery=claim.delivery, at=at, actor=claim.actor, detail=detail
    )


def append(*entries: JournalEntry) -> list[JournalEntry]:
    """Write entries in the caller's transaction (one of its own if there is none)."""
    with transaction.atomic(savepoint=False):
        _register_writer()
        if len(entries) == 1:
            entries[0].save(force_insert=True)
            return list(entries)
        return JournalEntry.objects.bulk_create(entries)


def record(step: str, *, actor: str = "", detail: str = "", **fields) -> JournalEntry:
    """An operational step not tied to one message (pause, breaker, controls)."""
    (entry,) = append(JournalEntry(at=timezone.now(), step=step, actor=actor, detail=detail, **fields))
    return entry
