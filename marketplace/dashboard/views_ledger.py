"""The ledger of one message: one row per subscriber, with Retry and Replay for that one.

Retrying and replaying are POSTs (CSRF-checked), each needing its own permission (``marketplace.operators``),
done by ``messaging.controls`` (as in the admin and the commands) and journaled with ``user:<username>`` as the
actor. Replaying a delivery that succeeded, or retrying one that failed with a permanent error, first asks
(``confirm``): the handler's side effects happen again, or it fails again. The page reads through
``messaging.selectors``; the dead letters are in ``views_dead_letters``.
"""

import json

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from marketplace import operators
from marketplace.dashboard.confirm import confirmation, confirmed
from marketplace.dashboard.holds import Holds
from marketplace.dashboard.permissions import control_required
from messaging import controls, selectors
from messaging.selectors import WAITING_STATUSES, DeliveryStatus

JOURNAL_SHOWN = 200


@staff_member_required
@require_GET
def ledger(request, message_id):
    found = selectors.message_ledger(message_id=message_id, journal_limit=JOURNAL_SHOWN)
    if found is None:
        raise Http404("No such message.")
    context = {
        "message": found.message,
        "rows": [_row(delivery, paused=delivery.handler in found.paused) for delivery in found.deliveries],
        "payload": json.dumps(found.message.payload, indent=2, sort_keys=True, ensure_ascii=False),
        "cause": found.cause,
        "caused": found.caused,
        "journal": found.journal,
        "journal_shown": JOURNAL_SHOWN,
        "needs": operators.CONTROLS,
        "holds": Holds.read(),
    }
    return render(request, "dashboard/ledger.html", context)


def _row(delivery, *, paused: bool) -> dict:
    return {
        "delivery": delivery,
        "paused": paused,
        "next_attempt_at": delivery.available_at if delivery.status in WAITING_STATUSES else None,
        "can_retry": delivery.status == DeliveryStatus.DEAD,
        "can_replay": delivery.status == DeliveryStatus.SUCCEEDED,
    }


def _delivery_or_404(delivery_id: int):
    delivery = selectors.delivery(delivery_id=delivery_id)
    if delivery is None:
        raise Http404("No such delivery.")
    return delivery


def actor_of(request) -> str:
    return f"user:{request.user.get_username()}"


def back_to(request, default: str, **kwargs):
    """Where the form came from (``next``), if it is one of ours; else ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default, **kwargs)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# --- One delivery (the ledger's buttons) ---------------------------------------------------------------------


@staff_member_required
@require_POST
@control_required(operators.RETRY)
def delivery_retry(request, delivery_id: int):
    delivery = _delivery_or_404(delivery_id)
    back = reverse("dashboard:ledger", kwargs={"message_id": delivery.message_id})
    if not confirmed(request) and controls.dead_letters_tally(delivery_ids=[delivery.pk])[1]:
        return confirmation(
            request,
            heading=f"Retry {delivery.handler}?",
            warnings=[permanent_warning(1), f"Its error: {delivery.last_error}"],
            button="Retry anyway",
            cancel=back,
        )
    if controls.dead_letters_retry(delivery_ids=[delivery.pk], actor=actor_of(request)):
        messages.success(request, f"Retrying {delivery.handler}: a fresh set of attempts.")
    else:
        messages.warning(request, f"{delivery.handler} is not a dead letter (it is {delivery.status}): not retried.")
    return redirect(back)


def permanent_warning(count: int) -> str:
    what = "a permanent error (an invalid payload, an unknown type, a refusal by the handler)"
    if count == 1:
        return f"It was dead-lettered for {what}: retried, it fails the same way unless its cause was fixed since."
    return (
        f"{count} of them were dead-lettered for {what}: retried, they fail the same way unless their cause was "
        "fixed since."
    )


@staff_member_required
@require_POST
@control_required(operators.REPLAY)
def delivery_replay(request, delivery_id: int):
    delivery = _delivery_or_404(delivery_id)
    back = reverse("dashboard:ledger", kwargs={"message_id": delivery.message_id})
    succeeded = delivery.status == DeliveryStatus.SUCCEEDED
    if succeeded and not confirmed(request):
        return confirmation(
            request,
            heading=f"Replay {delivery.handler}?",
            warnings=[
                f"{delivery.handler} already succeeded for this message. Replaying runs it again: whatever it does "
                "besides its own rows (an e-mail, a call to a payment gateway, a message to another context) "
                "happens again, unless the handler checks that it was already done.",
            ],
            button="Run it again",
            cancel=back,
        )
    if controls.delivery_replay(delivery_id=delivery.pk, actor=actor_of(request), repeat_succeeded=succeeded):
        messages.success(request, f"Replaying {delivery.handler}: it runs again shortly.")
    else:
        messages.warning(request, f"{delivery.handler} has not finished (it is {delivery.status}): it runs anyway.")
    return redirect(back)
