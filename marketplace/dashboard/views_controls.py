"""The controls page: the event/command style switch, pausing subscriptions, the fault lab.

Every change is a POST (CSRF-checked) that needs its own permission (``marketplace.operators``; staff without
it get a 403 and the page shows the control disabled), done by the control's one service (``messaging.controls``,
Orders' ``store_settings_update``), which journals it with ``user:<username>`` as the actor, as the admin and the
commands do with theirs. The forms are the controls' own; the views only say what happened. Retrying and
replaying deliveries are in ``views_ledger``.
"""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

import messaging.controls
import messaging.selectors
from marketplace import operators
from marketplace.dashboard.forms import HandlerSwitchForm
from marketplace.dashboard.permissions import control_required
from marketplace.dashboard.views_ledger import actor_of
from orders.services.settings import store_settings, store_settings_update
from orders.settings_form import StyleForm

BAD_REQUEST = 400


# --- The controls page: style, subscriptions, fault lab ------------------------------------------------------


def _fault_id(context: str) -> str:
    return f"id_fault_{context}_%s"  # one form per context on the page: unique ids, the same field names


def _fault_forms(bound) -> list[tuple[str, messaging.controls.FaultForm, messaging.selectors.BreakerRow | None]]:
    breakers = {row.context: row for row in messaging.selectors.breakers()}
    rows = []
    for context, fault in messaging.controls.fault_settings().items():
        if bound is not None and bound.data.get("context") == context:
            form = bound
        else:
            initial = {"context": context, "unavailable": fault.unavailable, "latency_ms": fault.latency_ms}
            initial["failure_rate"] = fault.failure_rate
            form = messaging.controls.FaultForm(auto_id=_fault_id(context), initial=initial)
        rows.append((context, form, breakers.get(context)))
    return rows


def _form_errors(form) -> list[str]:
    return [error for field_errors in form.errors.values() for error in field_errors]


def _controls_page(request, *, style_form=None, fault_form=None, errors=(), status=200):
    current = store_settings()
    context = {
        "settings": current,
        "style_form": style_form or StyleForm(instance=current),
        "subscriptions": messaging.controls.handler_switches(),
        "faults": _fault_forms(fault_form),
        "errors": errors,
        "needs": operators.CONTROLS,
    }
    return render(request, "dashboard/controls.html", context, status=status)


@staff_member_required
@require_GET
def controls(request):
    return _controls_page(request)


@staff_member_required
@require_POST
@control_required(operators.STYLE)
def style_switch(request):
    form = StyleForm(request.POST)
    if not form.is_valid():
        return _controls_page(request, style_form=form, status=BAD_REQUEST)
    after = store_settings_update(style=form.cleaned_data["style"], actor=actor_of(request)).style
    messages.success(request, f"Orders now tells Vendors about paid orders in {after} style.")
    return redirect("dashboard:controls")


@staff_member_required
@require_POST
@control_required(operators.PAUSE)
def subscription_switch(request):
    form = HandlerSwitchForm(request.POST)
    if not form.is_valid():
        return _controls_page(request, errors=_form_errors(form), status=BAD_REQUEST)
    name, paused = form.cleaned_data["handler"], form.cleaned_data["paused"]
    switch = messaging.controls.handler_pause if paused else messaging.controls.handler_resume
    try:
        switch(handler=name, actor=actor_of(request))
    except messaging.UnknownHandlerError as error:  # unregistered between the form's check and now
        return _controls_page(request, errors=[str(error)], status=BAD_REQUEST)
    messages.success(request, f"{'Paused' if paused else 'Resumed'} {name}.")
    return redirect("dashboard:controls")


@staff_member_required
@require_POST
@control_required(operators.FAULT_LAB)
def fault_set(request):
    form = messaging.controls.FaultForm(request.POST, auto_id=_fault_id(request.POST.get("context", "")))
    if not form.is_valid():
        if "context" in form.errors:  # no row on the page to show it in
            return _controls_page(request, errors=form.errors["context"], status=BAD_REQUEST)
        return _controls_page(request, fault_form=form, status=BAD_REQUEST)
    fault = messaging.controls.fault_set(**form.cleaned_data, actor=actor_of(request))
    messages.success(request, f"Fault lab: {fault}.")
    return redirect("dashboard:controls")
