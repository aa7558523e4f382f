"""Append-only journal of every step, in the transaction of the step itself.

``seq`` must grow in commit order, so that a reader resuming "after seq N"
can never miss a row committed later with a smaller number. SQLite already
serialises writers; on PostgreSQL a transaction-scoped advisory lock makes
journal writers commit one after another (held only from the append to commit).
"""

from django.db import connection
from django.utils import timezone

from messaging.models import JournalEntry, Step

JOURNAL_LOCK_KEY = 0x6A6F75726E616C  # "journal"


def _serialise_writers() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [JOURNAL_LOCK_KEY])


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
    """Write entries; call inside the transaction that makes the step happen."""
    _serialise_writers()
    if len(entries) == 1:
        entries[0].save(force_insert=True)
        return list(entries)
    return JournalEntry.objects.bulk_create(entries)


def record(step: str, *, actor: str = "", detail: str = "", **fields) -> JournalEntry:
    """An operational step not tied to one message (pause, breaker, controls)."""
    (entry,) = append(JournalEntry(at=timezone.now(), step=step, actor=actor, detail=detail, **fields))
    return entry
