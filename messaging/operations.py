"""Operator actions, each audited in the journal: retry dead letters, pause and resume."""

from django.db import transaction
from django.utils import timezone

from messaging import journal, wakeup
from messaging.models import DeliveryStatus, Step, Subscription
from messaging.registry import registry


def dead_letters_retry(deliveries, *, actor: str) -> int:
    """Give dead-lettered deliveries a fresh set of attempts; returns how many."""
    now = timezone.now()
    retried = 0
    with transaction.atomic():
        for delivery in (
            deliveries.filter(status=DeliveryStatus.DEAD).select_related("message").select_for_update(of=("self",))
        ):
            delivery.status, delivery.attempts, delivery.available_at = DeliveryStatus.PENDING, 0, now
            delivery.finished_at = None
            delivery.save(update_fields=["status", "attempts", "available_at", "finished_at", "updated_at"])
            journal.append(
                journal.entry_for(
                    delivery.message,
                    Step.RETRIED,
                    delivery=delivery,
                    at=now,
                    actor=actor,
                    detail=f"after: {delivery.last_error}"[:2000],
                )
            )
            retried += 1
        if retried:
            wakeup.wake_on_commit(retried)
    return retried


def subscription_pause(handler_name: str, *, actor: str) -> None:
    _set_paused(handler_name, paused=True, actor=actor)


def subscription_resume(handler_name: str, *, actor: str) -> None:
    _set_paused(handler_name, paused=False, actor=actor)


def _set_paused(handler_name: str, *, paused: bool, actor: str) -> None:
    handler = registry.handler(handler_name)  # an unknown name fails here, clearly
    with transaction.atomic():
        Subscription.objects.update_or_create(handler=handler.name, defaults={"paused": paused})
        journal.record(
            Step.PAUSED if paused else Step.RESUMED, handler=handler.name, context=handler.context, actor=actor
        )
        if not paused:
            wakeup.wake_on_commit(wakeup.worker_count())
