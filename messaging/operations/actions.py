"""Operator actions, each audited in the journal with who did it, in the transaction of the change: retry dead
letters, replay a delivery, pause and resume, the fault lab, and any other context's control
(``control_recorded``). ``messaging.controls`` is their public face; the admin, the dashboard and the
commands are its doors."""

from django.db import transaction
from django.db.models import Q

from messaging.models import Delivery, DeliveryStatus, FaultSetting, HandlerState, Step
from messaging.operations.dead_letters import dead_letters_matching
from messaging.operations.replay import replay_request_build, replay_run
from messaging.operations.selection import Selection
from messaging.runtime import clock, journal, wakeup
from messaging.runtime.registry import registry


def dead_letters_chosen(*, delivery_ids=(), message_ids=(), message_type: str = "", matching=None):
    """The dead letters with any of these delivery ids, of any of these messages, or of this type; or all those
    ``matching`` a ``DeadLetterFilter`` (an empty filter: every dead letter, as the operator asked)."""
    if matching is not None:
        return dead_letters_matching(matching)
    if not (delivery_ids or message_ids or message_type):
        raise ValueError("say which dead letters: delivery ids, message ids or a message type")
    chosen = Q(pk__in=list(delivery_ids)) | Q(message_id__in=list(message_ids))
    if message_type:
        chosen |= Q(message__type=message_type)
    return Delivery.objects.filter(chosen, status=DeliveryStatus.DEAD)


def dead_letters_retry(deliveries, *, actor: str) -> int:
    """Give dead-lettered deliveries a fresh set of attempts; returns how many."""
    now = clock.now()  # due by the clock claims read
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


def handler_pause(handler_name: str, *, actor: str) -> None:
    _set_paused(handler_name, paused=True, actor=actor)


def handler_resume(handler_name: str, *, actor: str) -> None:
    _set_paused(handler_name, paused=False, actor=actor)


def _set_paused(handler_name: str, *, paused: bool, actor: str) -> None:
    handler = registry.handler(handler_name)  # an unknown name fails here, clearly
    with transaction.atomic():
        HandlerState.objects.update_or_create(handler=handler.name, defaults={"paused": paused})
        journal.record(
            Step.PAUSED if paused else Step.RESUMED, handler=handler.name, context=handler.context, actor=actor
        )
        if not paused:
            wakeup.wake_on_commit(wakeup.live_worker_count())


def delivery_replay(delivery_id: int, *, actor: str, repeat_succeeded: bool = False) -> bool:
    """Run one delivery again with a fresh set of attempts: a failed or dead-lettered one, or, only when
    ``repeat_succeeded`` says the operator confirmed it, one that succeeded.

    A succeeded delivery replayed runs its handler again: whatever the handler does besides writing its own
    rows (an e-mail, a call to a gateway) happens again, unless the handler checks that it was done. So every
    door asks first and says so. False, and nothing changed, if there is no such delivery, it is waiting or
    running (it will run anyway), or it succeeded and ``repeat_succeeded`` is not set. It goes through the
    replay of ``replay_messages`` (``--force`` for a succeeded one), journaled as that command would journal it.
    """
    found = Delivery.objects.filter(pk=delivery_id).values_list("message_id", "handler").first()
    if found is None:
        return False
    message_id, handler = found
    selection = Selection(ids=(message_id,), handlers=(handler,))
    request = replay_request_build(selection=selection, actor=actor, force=repeat_succeeded)
    return replay_run(request).enqueued == 1


def fault_set(*, context: str, unavailable: bool, latency_ms: int, failure_rate: int, actor: str) -> FaultSetting:
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
        control_recorded(
            context=context, actor=actor, detail=f"fault lab: {context} " + (", ".join(fault.describe()) or "healthy")
        )
    return fault


def fault_rows_ensure() -> None:
    """A row for every context that has handlers, so that each is there to edit in place.

    A new row is healthy, which the worker reads exactly as no row: nothing changes, so nothing is journaled.
    Done when the rows are shown rather than by a migration, as contexts come with code, not with migrations.
    """
    contexts = set(registry.handler_contexts())
    missing = contexts - set(FaultSetting.objects.filter(context__in=contexts).values_list("context", flat=True))
    if missing:
        FaultSetting.objects.bulk_create([FaultSetting(context=c) for c in sorted(missing)], ignore_conflicts=True)


def fault_clear(*, context: str, actor: str) -> FaultSetting:
    """Restore a context: no fault at all."""
    return fault_set(context=context, unavailable=False, latency_ms=0, failure_rate=0, actor=actor)


def control_recorded(*, context: str, actor: str, detail: str) -> None:
    """Journal an operator's change of operating state, in the caller's transaction (the change's own)."""
    journal.record(Step.CONTROL, context=context, actor=actor, detail=detail)
