"""The operator's controls, one service each; the admin, the dashboard and the commands are their three doors.

    controls.fault_set(context="vendors", unavailable=True, latency_ms=500, failure_rate=30, actor=...)
    controls.fault_clear(context="vendors", actor=...)
    controls.handler_pause(handler="vendors.notify_vendor", actor=...)     # and handler_resume
    controls.dead_letters_retry(delivery_ids=[42], actor=...)               # or message_ids, message_type
    controls.dead_letters_archive(matching=DeadLetterFilter(handler=...), actor=...)  # or ids, as retry
    controls.delivery_replay(delivery_id=42, actor=..., repeat_succeeded=True)  # confirmed: runs it again
    controls.control_recorded(context="orders", actor=..., detail=...)     # a context's own control

Each makes its change and journals it with its actor in one transaction, so whichever door an operator
uses leaves the same journal entry. Actors name the door and the person: ``admin:<username>``,
``user:<username>`` (the dashboard), ``cli:<login>`` (``cli_actor``). The forms check each control's
input once for every door; the reads here are the ones the controls' pages show.
"""

import getpass
import os

from django.db.models import Count

from messaging.models import WAITING_STATUSES, Delivery, FaultSetting, HandlerState
from messaging.operations import actions, dead_letters
from messaging.operations.dead_letters import DeadLetterFilter
from messaging.operations.forms import FaultForm, HandlerPauseForm, form_errors, handler_contexts
from messaging.operations.replay import ReplayRequest, Tally, replay_request_build, replay_run
from messaging.runtime.registry import registry

__all__ = [
    "DeadLetterFilter",
    "FaultForm",
    "HandlerPauseForm",
    "ReplayRequest",
    "Tally",
    "cli_actor",
    "control_recorded",
    "dead_letters_archive",
    "dead_letters_retry",
    "dead_letters_tally",
    "deliveries_replay",
    "delivery_replay",
    "fault_clear",
    "fault_rows_ensure",
    "fault_set",
    "fault_settings",
    "form_errors",
    "handler_contexts",
    "handler_pause",
    "handler_resume",
    "handler_switches",
    "replay_request_build",
]

fault_set = actions.fault_set
fault_clear = actions.fault_clear
fault_rows_ensure = actions.fault_rows_ensure
control_recorded = actions.control_recorded


def handler_pause(*, handler: str, actor: str) -> None:
    """Its deliveries wait until it is resumed; ``UnknownHandlerError`` for a name nobody registered."""
    actions.handler_pause(handler, actor=actor)


def handler_resume(*, handler: str, actor: str) -> None:
    """Its waiting deliveries run, the workers woken on commit."""
    actions.handler_resume(handler, actor=actor)


def dead_letters_retry(*, actor: str, **chosen) -> int:
    """A fresh set of attempts for the dead letters chosen by delivery, by message or by type (``delivery_ids``,
    ``message_ids``, ``message_type``), or all ``matching`` a ``DeadLetterFilter``; how many."""
    return actions.dead_letters_retry(actions.dead_letters_chosen(**chosen), actor=actor)


def dead_letters_archive(*, actor: str, **chosen) -> int:
    """Take the dead letters chosen as for ``dead_letters_retry`` out of the outbox, each journaled; how many."""
    return dead_letters.dead_letters_archive(actions.dead_letters_chosen(**chosen), actor=actor)


def dead_letters_tally(**chosen) -> tuple[int, int]:
    """How many dead letters are chosen as for ``dead_letters_retry``, and how many of them failed for good (a
    permanent error): retried, those fail the same way unless their cause was fixed, so the doors warn first."""
    rows = actions.dead_letters_chosen(**chosen)
    return rows.count(), dead_letters.dead_letters_permanent(rows).count()


def delivery_replay(*, delivery_id: int, actor: str, repeat_succeeded: bool = False) -> bool:
    """Run one finished delivery again; False (nothing changed) if it is waiting, running or unknown, or if it
    succeeded and the operator did not confirm repeating its side effects (``repeat_succeeded``)."""
    return actions.delivery_replay(delivery_id, actor=actor, repeat_succeeded=repeat_succeeded)


def deliveries_replay(request: ReplayRequest, *, on_batch=None) -> Tally:
    """Replay what a request built by ``replay_request_build`` selects (its actor inside), batch by batch."""
    return replay_run(request, on_batch=on_batch)


def cli_actor() -> str:
    """``cli:<os user>``: the journal's actor for what an operator starts from a shell."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return f"cli:uid-{os.getuid()}"


# --- What the controls' pages show ----------------------------------------------------------------------------


def fault_settings() -> dict[str, FaultSetting]:
    """The fault lab of every context that has handlers, by name; one never set is healthy (and unsaved)."""
    saved = {fault.context: fault for fault in FaultSetting.objects.all()}
    return {context: saved.get(context) or FaultSetting(context=context) for context, _ in handler_contexts()}


def handler_switches() -> list[dict]:
    """Every registered handler by context: whether it is paused and how many deliveries wait for it."""
    paused = set(HandlerState.objects.filter(paused=True).values_list("handler", flat=True))
    waiting = dict(
        Delivery.objects.filter(status__in=WAITING_STATUSES)
        .order_by()
        .values_list("handler")
        .annotate(count=Count("id"))
    )
    return [
        {
            "name": handler.name,
            "context": handler.context,
            "message_type": handler.message_type.name if handler.message_type else "command outcomes",
            "paused": handler.name in paused,
            "waiting": waiting.get(handler.name, 0),
        }
        for handler in sorted(registry.handlers.values(), key=lambda h: (h.context, h.name))
    ]
