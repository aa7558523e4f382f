"""One message and its deliveries: its ledger, a command's outcome, the dead letters waiting for an operator."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from messaging.models import Delivery, HandlerState, JournalEntry, Message
from messaging.operations.dead_letters import DeadLetterFilter, dead_letters_matching
from messaging.runtime.outcomes import Outcome, outcome


@dataclass(frozen=True)
class MessageLedger:
    message: Message
    deliveries: list[Delivery]  # by handler
    paused: set[str]  # handlers among them whose subscription is paused
    cause: Message | None  # the message that caused it, when it was one (not a web request)
    caused: QuerySet[Message]  # messages it caused, oldest first, the first ``caused_limit``
    journal: QuerySet[JournalEntry]  # its steps, oldest first, the first ``journal_limit``


@dataclass(frozen=True)
class DeadLetters:
    total: int  # at most the cap asked for
    capped: bool  # there are more than ``total``
    by_type: list[dict]  # message__type, count, handlers: the biggest groups first
    newest: QuerySet[Delivery]  # the newest ``shown``, with their messages


def message_exists(*, message_id: uuid.UUID) -> bool:
    return Message.objects.filter(pk=message_id).exists()


def message_ledger(*, message_id: uuid.UUID, journal_limit: int, caused_limit: int = 50) -> MessageLedger | None:
    """The message, each delivery of it, what caused it and what it caused, its journal; None if unknown."""
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        return None
    deliveries = list(message.deliveries.order_by("handler"))
    paused = set(
        HandlerState.objects.filter(handler__in=[d.handler for d in deliveries], paused=True).values_list(
            "handler", flat=True
        )
    )
    return MessageLedger(
        message=message,
        deliveries=deliveries,
        paused=paused,
        cause=Message.objects.filter(pk=_as_uuid_text(message.causation_id)).only("id", "type").first(),
        caused=Message.objects.filter(causation_id=str(message.id)).order_by("created_at")[:caused_limit],
        journal=JournalEntry.objects.filter(message_id=message.id).order_by("seq")[:journal_limit],
    )


def _as_uuid_text(value: str) -> str | None:
    """A causation id that may be a message id (anything else matches no message)."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def delivery(*, delivery_id: int) -> Delivery | None:
    """One delivery (its handler, status and message id), or None."""
    return Delivery.objects.filter(pk=delivery_id).first()


def command_outcome(*, command_id: uuid.UUID | str) -> Outcome | None:
    """Where a command stands now; None once it is purged from the outbox (or was never sent)."""
    try:
        return outcome(command_id)
    except Delivery.DoesNotExist:
        return None


def commands_retried(*, command_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Those of the commands whose delivery needed more than one attempt (the rows ``command_outcome`` reads)."""
    rows = Delivery.objects.filter(message_id__in=list(command_ids), attempts__gt=1)
    return set(rows.values_list("message_id", flat=True))


def dead_letters(*, shown: int, cap: int, matching: DeadLetterFilter | None = None, offset: int = 0) -> DeadLetters:
    """How many dead letters match (counted up to ``cap``), by type, and ``shown`` of them from the newest, after
    ``offset`` (a page); ``matching`` none or empty: every dead letter."""
    dead = dead_letters_matching(matching or DeadLetterFilter())
    counted = dead.order_by()[: cap + 1].count()
    by_type = (
        dead.order_by().values("message__type").annotate(count=Count("id"), handlers=Count("handler", distinct=True))
    )
    return DeadLetters(
        total=min(counted, cap),
        capped=counted > cap,
        by_type=sorted(by_type, key=lambda group: (-group["count"], group["message__type"]))[:100],
        newest=dead.select_related("message").order_by("-id")[offset : offset + shown],
    )
