"""Writes a message and its deliveries in the caller's transaction.

Nothing is handed to a worker before commit: the wake-up is registered with
``transaction.on_commit``, so a rollback leaves no row and no task behind.

Its times (the message's, its journal entry's, its deliveries' due time) are
the database's (``clock.recent``), so a delivery is due when claims on any
host say so, however far off the publishing host's clock.

On PostgreSQL the rows go in one round trip (``_insert_together``): publishing
is on the hot path of every service, and sent one by one, each paying a round
trip and the ORM's building of its query, they took most of its time. (So
they send no model signals; nothing listens to them.)
"""

import uuid
from datetime import datetime
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

from messaging.models import Delivery, JournalEntry, Message
from messaging.runtime import clock, journal, limits, signing, wakeup
from messaging.runtime.context import for_new_message
from messaging.runtime.telemetry import metrics, tracing


def write(
    message,
    handlers,
    *,
    step: str,
    reply_to: str = "",
    not_before: datetime | None = None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> Message:
    """Persist ``message`` (a contract instance) with one delivery per handler."""
    now = clock.recent().now()
    origin = for_new_message()
    row = Message(
        id=uuid.uuid4(),
        kind=message.kind,
        type=message.name,
        version=message.version,
        context=message.context,
        payload=message.payload(),
        correlation_id=correlation_id or origin.correlation_id,
        causation_id=causation_id if causation_id is not None else origin.causation_id,
        reply_to=reply_to,
        created_at=now,
        not_before=not_before,
    )
    limits.check_payload_size(row)
    span = tracing.producer_start(row) if tracing.enabled else None  # sets row.traceparent, which is signed
    row.signature = signing.sign(row)
    available_at = max(not_before, now) if not_before else now
    deliveries = [Delivery(message=row, handler=h.name, context=h.context, available_at=available_at) for h in handlers]
    detail = ", ".join(h.name for h in handlers) or "no subscribers"
    if not_before:
        detail += f"; due {available_at.isoformat()}"
    entry = journal.entry_for(row, step, at=now, actor=origin.actor, detail=detail)
    with transaction.atomic(savepoint=False):
        if _statements_go_together():
            _insert_together(row, deliveries, entry)
        else:
            row.save(force_insert=True)
            Delivery.objects.bulk_create(deliveries)
            journal.append(entry)
        if handlers and available_at <= now:
            wakeup.wake_on_commit(len(handlers))
        metrics.message_written(row)  # counted at commit: a message rolled back was never written
    if span is not None:
        span.end()  # not when the write raised: the caller's span records that
    return row


def _statements_go_together() -> bool:
    # Django's PostgreSQL cursor binds parameters on the client unless told otherwise, and then sends
    # statements joined by ";" as one query. SQLite's driver runs one statement per call.
    return connection.vendor == "postgresql" and not connection.settings_dict["OPTIONS"].get("server_side_binding")


def _insert_together(row: Message, deliveries: list[Delivery], entry: JournalEntry) -> None:
    """The message, its deliveries and its journal entry in one round trip, in that order.

    The journal's writer registration goes just before the entry, as ``journal.append`` runs them: it is
    held before the entry takes its seq.
    """
    db = connections[DEFAULT_DB_ALIAS]  # itself: through the ``connection`` proxy, preparing values took twice as long
    statements = [_insert([row], db), _insert(deliveries, db), journal.writer_registration(), _insert([entry], db)]
    statements = [statement for statement in statements if statement]
    with db.cursor() as cursor:
        cursor.execute(";\n".join(sql for sql, _ in statements), [p for _, params in statements for p in params])
    for saved in (row, *deliveries, entry):
        saved._state.adding, saved._state.db = False, db.alias


def _insert(rows: list[Model], db: BaseDatabaseWrapper) -> tuple[str, list] | None:
    """The INSERT of ``rows`` (of one model) that ``bulk_create`` would send, without returning their ids.

    Its text is made once per model and number of rows; each row's values are prepared as the ORM's
    compiler prepares them (``pre_save``, then ``get_db_prep_save``), which is all it does for plain
    values. Building the whole statement with the compiler each time took three times as long.
    """
    if not rows:
        return None
    model = rows[0].__class__
    fields = _inserted_fields(model)
    values = [field.get_db_prep_save(field.pre_save(row, add=True), db) for row in rows for field in fields]
    return _insert_sql(model, len(rows)), values


@cache
def _inserted_fields(model: type[Model]) -> list[Field]:
    meta = model._meta
    return [field for field in meta.concrete_fields if field is not meta.auto_field and not field.generated]


@cache
def _insert_sql(model: type[Model], rows: int) -> str:
    fields, quote = _inserted_fields(model), connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    row = f"({', '.join(['%s'] * len(fields))})"
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {', '.join([row] * rows)}"
