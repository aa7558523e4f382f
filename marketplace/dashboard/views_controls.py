"""The controls page: the event/command style switch, pausing subscriptions, the fault lab.

Every change is a POST (CSRF-checked) that needs its own permission (``marketplace.operators``; staff without
it get a 403 and the page shows the control disabled), journaled with ``user:<username>`` as the actor, done by
``messaging.operations.actions`` (shared with the admin) or by Orders' settings service; the views only check the input
and say what happened. Retrying and replaying deliveries are in ``views_ledger``.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.db import transaction
from django.db.models import Count
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from marketplace import operators
from marketplace.dashboard.permissions import control_required
from marketplace.dashboard.views_ledger import actor_of
from messaging.errors import UnknownHandlerError
from messaging.models import WAITING_STATUSES, CircuitBreaker, Delivery, FaultSetting, Step
from messaging.models import Subscription as SubscriptionState
from messaging.operations import actions as operations
from messaging.runtime import journal
from messaging.runtime.registry import registry
from orders.services.settings import store_settings, store_settings_update

MAX_LATENCY_MS = 30_000
BAD_REQUEST = 400


# --- The controls page: style, subscriptions, fault lab ------------------------------------------------------


def _style_choices():
    return store_settings()._meta.get_field("style").choices


def _handler_choices():
    return [(name, name) for name in sorted(registry.handlers)]


def _handler_contexts():
    return [(name, name) for name in sorted({h.context for h in registry.handlers.values()})]


class StyleForm(forms.Form):
    style = forms.ChoiceField(choices=_style_choices, widget=forms.RadioSelect)


class SubscriptionForm(forms.Form):
    handler = forms.ChoiceField(choices=_handler_choices, error_messages={"invalid_choice": "No handler %(value)s."})
    action = forms.ChoiceField(choices=[("pause", "pause"), ("resume", "resume")])


class FaultForm(forms.Form):
    context = forms.ChoiceField(choices=_handler_contexts, widget=forms.HiddenInput)
    unavailable = forms.BooleanField(required=False)
    latency_ms = forms.IntegerField(
        label="Latency (ms)",
        min_value=0,
        max_value=MAX_LATENCY_MS,
        error_messages={
            "min_value": "The latency cannot be negative.",
            "max_value": f"The latency is at most {MAX_LATENCY_MS} ms (30 seconds).",
            "invalid": "Enter the latency as a whole number of milliseconds.",
            "required": "Enter the latency in milliseconds (0 for none).",
        },
    )
    failure_rate = forms.IntegerField(
        label="Failure rate (%)",
        min_value=0,
        max_value=100,
        error_messages={
            "min_value": "The failure rate is a percentage: 0 to 100.",
            "max_value": "The failure rate is a percentage: 0 to 100.",
            "invalid": "Enter the failure rate as a whole number from 0 to 100.",
            "required": "Enter the failure rate in percent (0 for none).",
        },
    )


def _fault_id(context: str) -> str:
    return f"id_fault_{context}_%s"  # one form per context on the page: unique ids, the same field names


def _fault_forms(bound: FaultForm | None) -> list[tuple[str, FaultForm, CircuitBreaker | None]]:
    settings = {fault.context: fault for fault in FaultSetting.objects.all()}
    breakers = {b.context: b for b in CircuitBreaker.objects.all()}
    rows = []
    for context, _ in _handler_contexts():
        if bound is not None and bound.data.get("context") == context:
            form = bound
        else:
            fault = settings.get(context) or FaultSetting(context=context)
            initial = {"context": context, "unavailable": fault.unavailable, "latency_ms": fault.latency_ms}
            form = FaultForm(auto_id=_fault_id(context), initial={**initial, "failure_rate": fault.failure_rate})
        rows.append((context, form, breakers.get(context)))
    return rows


def _subscriptions() -> list[dict]:
    paused = set(SubscriptionState.objects.filter(paused=True).values_list("handler", flat=True))
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


def _controls_page(request, *, style_form=None, fault_form=None, errors=(), status=200):
    current = store_settings()
    context = {
        "settings": current,
        "style_form": style_form or StyleForm(initial={"style": current.style}),
        "subscriptions": _subscriptions(),
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
    with transaction.atomic():
        before = store_settings().style
        after = store_settings_update(style=form.cleaned_data["style"]).style
        journal.record(Step.CONTROL, context="orders", actor=actor_of(request), detail=f"style: {before} → {after}")
    messages.success(request, f"Orders now tells Vendors about paid orders in {after} style.")
    return redirect("dashboard:controls")


@staff_member_required
@require_POST
@control_required(operators.PAUSE)
def subscription_switch(request):
    form = SubscriptionForm(request.POST)
    if not form.is_valid():
        errors = [error for field_errors in form.errors.values() for error in field_errors]
        return _controls_page(request, errors=errors, status=BAD_REQUEST)
    name, action = form.cleaned_data["handler"], form.cleaned_data["action"]
    switch = operations.subscription_pause if action == "pause" else operations.subscription_resume
    try:
        switch(name, actor=actor_of(request))
    except UnknownHandlerError as error:  # unregistered between the form's check and now
        return _controls_page(request, errors=[str(error)], status=BAD_REQUEST)
    messages.success(request, f"{'Paused' if action == 'pause' else 'Resumed'} {name}.")
    return redirect("dashboard:controls")


@staff_member_required
@require_POST
@control_required(operators.FAULT_LAB)
def fault_set(request):
    form = FaultForm(request.POST, auto_id=_fault_id(request.POST.get("context", "")))
    if not form.is_valid():
        if "context" in form.errors:
            return _controls_page(request, errors=["Choose a context that has handlers."], status=BAD_REQUEST)
        return _controls_page(request, fault_form=form, status=BAD_REQUEST)
    data = form.cleaned_data
    fault = operations.fault_set(
        data["context"],
        unavailable=data["unavailable"],
        latency_ms=data["latency_ms"],
        failure_rate=data["failure_rate"],
        actor=actor_of(request),
    )
    messages.success(request, f"Fault lab: {fault}.")
    return redirect("dashboard:controls")
