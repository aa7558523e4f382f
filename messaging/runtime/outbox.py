"""Writes a message and its deliveries in the caller's transaction.

Nothing is handed to a worker before commit: the wake-up is registered with
``transaction.on_commit``, so a rollback leaves no row and no task behind.

Its times (the message's, its journal entry's, its deliveries' due time) are
the database's (``clock.recent``), so a delivery is due when claims on any
host say so, however far off the publishing host's clock.
"""

import uuid
from datetime import datetime

from django.db import transaction

from messaging.models import Delivery, Message
from messaging.runtime import clock, journal, limits, signing, wakeup
from messaging.runtime.context import for_new_message


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
    row.signature = signing.sign(row)
    available_at = max(not_before, now) if not_before else now
    with transaction.atomic(savepoint=False):
        row.save(force_insert=True)
        Delivery.objects.bulk_create(
            Delivery(message=row, handler=h.name, context=h.context, available_at=available_at) for h in handlers
        )
        detail = ", ".join(h.name for h in handlers) or "no subscribers"
        if not_before:
            detail += f"; due {available_at.isoformat()}"
        journal.append(journal.entry_for(row, step, at=now, actor=origin.actor, detail=detail))
        if handlers and available_at <= now:
            wakeup.wake_on_commit(len(handlers))
    return row
