"""Operator actions, each audited in the journal: retry dead letters, replay a delivery, pause and resume,
the fault lab. The admin and the dashboard share them."""

from django.db import transaction
from django.utils import timezone

from messaging.models import Delivery, DeliveryStatus, FaultSetting, Step, Subscription
from messaging.runtime import journal, wakeup
from messaging.runtime.registry import registry

FINISHED_STATUSES = (DeliveryStatus.SUCCEEDED, DeliveryStatus.DEAD)


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


def delivery_replay(delivery: Delivery, *, actor: str) -> bool:
    """Run a finished delivery (succeeded or dead) again, with a fresh set of attempts.

    False, and nothing changed, if the delivery is not finished (it is waiting or
    running: it will run anyway). The handler runs again in full: handlers are
    idempotent by contract, so a replay repeats the work without repeating its effect.
    """
    now = timezone.now()
    with transaction.atomic():
        replayed = Delivery.objects.filter(pk=delivery.pk, status__in=FINISHED_STATUSES).update(
            status=DeliveryStatus.PENDING,
            attempts=0,
            available_at=now,
            finished_at=None,
            lease_token=None,
            lease_expires_at=None,
            updated_at=now,
        )
        if not replayed:
            return False
        delivery.refresh_from_db()
        journal.append(
            journal.entry_for(
                delivery.message, Step.REPLAYED, delivery=delivery, at=now, actor=actor, detail="replayed by hand"
            )
        )
        wakeup.wake_on_commit(1)
    return True


def fault_set(context: str, *, unavailable: bool, latency_ms: int, failure_rate: int, actor: str) -> FaultSetting:
    """Set the fault lab for one context (all healthy values restore it); journaled as a control step.

    Raises ``ValidationError`` (nothing changed) for a value outside the model's limits.
    """
    with transaction.atomic():
        fault = FaultSetting.objects.select_for_update().filter(context=context).first() or FaultSetting(
            context=context
        )
        fault.unavailable, fault.latency_ms, fault.failure_rate = unavailable, latency_ms, failure_rate
        fault.full_clean()
        fault.save()
        journal.record(
            Step.CONTROL,
            context=context,
            actor=actor,
            detail=f"fault lab: {context} " + (", ".join(fault.describe()) or "healthy"),
        )
    return fault
