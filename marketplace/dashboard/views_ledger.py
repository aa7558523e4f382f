"""Deliveries: the ledger of one message (one row per subscriber, with Retry and Replay for that one) and
the dead letters (retry one, the selected ones, or all of a type).

Retrying and replaying are POSTs (CSRF-checked), each needing its own permission (``marketplace.operators``),
done by ``messaging.controls`` (as in the admin and the commands) and journaled with ``user:<username>`` as the
actor. The pages read through ``messaging.selectors``.
"""

import json

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from marketplace import operators
from marketplace.dashboard.permissions import control_required
from messaging import controls, selectors
from messaging.selectors import WAITING_STATUSES, DeliveryStatus

JOURNAL_SHOWN = 200
DEAD_LETTERS_SHOWN = 200


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


def _back(request, default: str, **kwargs):
    """Where the form came from (``next``), if it is one of ours; else ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default, **kwargs)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# --- One delivery (the ledger's buttons) ---------------------------------------------------------------------


@staff_member_required
@require_POST
@control_required(operators.RETRY)
def delivery_retry(request, delivery_id: int):
    delivery = _delivery_or_404(delivery_id)
    if controls.dead_letters_retry(delivery_ids=[delivery.pk], actor=actor_of(request)):
        messages.success(request, f"Retrying {delivery.handler}: a fresh set of attempts.")
    else:
        messages.warning(request, f"{delivery.handler} is not a dead letter (it is {delivery.status}): not retried.")
    return redirect("dashboard:ledger", message_id=delivery.message_id)


@staff_member_required
@require_POST
@control_required(operators.REPLAY)
def delivery_replay(request, delivery_id: int):
    delivery = _delivery_or_404(delivery_id)
    if controls.delivery_replay(delivery_id=delivery.pk, actor=actor_of(request)):
        messages.success(request, f"Replaying {delivery.handler}: it runs again shortly.")
    else:
        messages.warning(request, f"{delivery.handler} has not finished (it is {delivery.status}): it runs anyway.")
    return redirect("dashboard:ledger", message_id=delivery.message_id)


# --- Dead letters --------------------------------------------------------------------------------------------


@staff_member_required
@require_GET
def dead_letters(request):
    dead = selectors.dead_letters(shown=DEAD_LETTERS_SHOWN, cap=selectors.LIST_COUNT_CAP)
    context = {
        "total": dead.total,
        "capped": dead.capped,
        "by_type": dead.by_type,
        "rows": dead.newest,
        "shown": DEAD_LETTERS_SHOWN,
        "needs": operators.CONTROLS,
    }
    return render(request, "dashboard/dead_letters.html", context)


@staff_member_required
@require_POST
@control_required(operators.RETRY)
def dead_letters_retry(request):
    if message_type := request.POST.get("type", "").strip():
        chosen, what = {"message_type": message_type}, f"of type {message_type}"
    elif one := _ids([request.POST.get("one", "")]):
        chosen, what = {"delivery_ids": one}, "chosen"
    else:
        ids = _ids(request.POST.getlist("ids"))
        if not ids:
            messages.error(request, "Select at least one dead letter to retry.")
            return _back(request, "dashboard:dead_letters")
        chosen, what = {"delivery_ids": ids}, "selected"
    retried = controls.dead_letters_retry(**chosen, actor=actor_of(request))
    if retried:
        messages.success(request, f"Retried {_plural(retried, 'dead letter')} {what}.")
    else:
        messages.warning(request, f"No dead letter {what} was left to retry.")
    return _back(request, "dashboard:dead_letters")


def _ids(values) -> list[int]:
    return [int(value) for value in values if value.isdigit() and len(value) < 19]
