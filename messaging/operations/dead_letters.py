"""Dead letters as an operator handles them: chosen by a filter or by id, which of them failed for good, archived.

A filter (handler, context, message type, words of the error) chooses the same rows at every door: the
dashboard's "all N matching", the admin's list and ``manage.py dead_letters``. A dead letter whose last
dead-lettering was a permanent error (invalid payload, unknown type, ``PermanentError``) fails the same way
when retried unless its cause was fixed: the doors warn before retrying it.

Archiving takes a dead letter out of the outbox for good (the operator has dealt with it): its delivery row
is deleted and an ``archived`` journal entry, in the same transaction, keeps who did it, the handler and the
error. Its message stays, with its other deliveries.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery

from messaging.models import Delivery, DeliveryStatus, JournalEntry, Step
from messaging.runtime import clock, journal

PERMANENT = "permanent error"  # how failures.py begins a permanent dead-lettering's journal detail


@dataclass(frozen=True)
class DeadLetterFilter:
    """Every field given must match; the error is matched by its words, case-insensitively."""

    handler: str = ""
    context: str = ""
    message_type: str = ""
    error: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.handler or self.context or self.message_type or self.error)

    def describe(self) -> str:
        parts = [
            f"{name} {value!r}"
            for name, value in (
                ("handler", self.handler),
                ("context", self.context),
                ("type", self.message_type),
                ("error containing", self.error),
            )
            if value
        ]
        return ", ".join(parts) or "all"


def dead_letters_matching(chosen: DeadLetterFilter) -> QuerySet[Delivery]:
    rows = Delivery.objects.filter(status=DeliveryStatus.DEAD)
    if chosen.handler:
        rows = rows.filter(handler=chosen.handler)
    if chosen.context:
        rows = rows.filter(context=chosen.context)
    if chosen.message_type:
        rows = rows.filter(message__type=chosen.message_type)
    if chosen.error:
        rows = rows.filter(last_error__icontains=chosen.error)
    return rows


def dead_letters_permanent(deliveries: QuerySet[Delivery]) -> QuerySet[Delivery]:
    """Those of these dead letters whose last dead-lettering was a permanent error."""
    last_dead = JournalEntry.objects.filter(
        message_id=OuterRef("message_id"), handler=OuterRef("handler"), step=Step.DEAD_LETTERED
    ).order_by("-seq")
    rows = deliveries.filter(status=DeliveryStatus.DEAD).annotate(last_dead=Subquery(last_dead.values("detail")[:1]))
    return rows.filter(last_dead__startswith=PERMANENT)


def dead_letters_archive(deliveries: QuerySet[Delivery], *, actor: str) -> int:
    """Take these dead letters out of the outbox, each journaled as archived by ``actor``; returns how many."""
    now = clock.now()
    with transaction.atomic():
        chosen = list(
            deliveries.filter(status=DeliveryStatus.DEAD).select_related("message").select_for_update(of=("self",))
        )
        if not chosen:
            return 0
        journal.append(
            *(
                journal.entry_for(
                    delivery.message,
                    Step.ARCHIVED,
                    delivery=delivery,
                    at=now,
                    actor=actor,
                    detail=f"after {delivery.attempts} attempts: {delivery.last_error}"[:2000],
                )
                for delivery in chosen
            )
        )
        Delivery.objects.filter(pk__in=[delivery.pk for delivery in chosen]).delete()
    return len(chosen)
