"""The Trade-offs pages: the trade-off lab (start an experiment, follow it, read it) above this shop's own traffic.

An experiment runs the same seeded workload in both styles under the same scenario, in a process of its own
(``marketplace.lab.records.experiment_launch``); these views only start it and show what it wrote: the numbers,
verdicts and findings are the lab's, rendered as they are, never recomputed here. ``lab.js`` polls an experiment's
JSON (the lab's ``experiment_json``) while it is queued or running. Starting one and stopping one are POSTs
(CSRF-checked) that need the lab's permission (``marketplace.operators.LAB``); the one experiment at a time is the
lab's rule (``ExperimentBusy``).
"""

from datetime import datetime

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from marketplace import operators
from marketplace.dashboard import tradeoffs as tradeoffs_module
from marketplace.dashboard.permissions import control_required
from marketplace.dashboard.views_ledger import actor_of
from marketplace.lab import records
from marketplace.lab.forms import SCHEDULES, ExperimentForm
from marketplace.lab.scenarios import SCENARIOS, SETTINGS

BAD_REQUEST, CONFLICT = 400, 409
POLL_MS = 1000  # how often lab.js polls an experiment's JSON while it runs
PHASES = {  # the runner's phases as the progress box says them (lab.js reads them from the page)
    "": "Waiting to start",
    "preparing": "Preparing",
    "placing": "Placing orders",
    "settling": "Waiting for the orders to settle",
    "measuring": "Measuring",
    "done": "Done",
}
GENERAL_FIELDS = ("orders", "rate", "seed", "schedule", "settle_timeout")  # the others go with their scenario
LABELS = {  # the form's fields as the page names them, with their units
    "orders": "Orders per style",
    "rate": "Rate (orders per second, per style)",
    "settle_timeout": "Settle timeout (s)",
    "down_seconds": "Down for (s)",
    "failure_rate": "Failure rate (%)",
    "latency_ms": "Added latency (ms)",
    "vendor_timeout": "Vendor timeout (s)",
}


def _form(data=None) -> ExperimentForm:
    form = ExperimentForm(data)
    form.fields["scenarios"].widget = forms.CheckboxSelectMultiple(choices=form.fields["scenarios"].choices)
    for name, label in LABELS.items():
        form.fields[name].label = label
    for name in ("orders", "rate"):  # their labels say it all
        form.fields[name].help_text = ""
    return form


def _scenario_choices(form: ExperimentForm) -> list[tuple]:
    """Each scenario's checkbox, what it does (its title with the default setting) and its setting's field."""
    rows = []
    for box in form["scenarios"]:
        scenario = SCENARIOS[box.data["value"]]
        setting = scenario.setting
        title = scenario.title({setting.name: setting.default} if setting else {})
        rows.append((box, title, form[setting.name] if setting else None))
    return rows


def progress_shown(experiment) -> dict:
    """The progress box's lines, from what the runner last wrote (any key may be missing early on); lab.js
    writes them the same way from the experiment's JSON."""
    progress = experiment.progress
    number, count = progress.get("scenario_number"), progress.get("scenarios")
    name = progress.get("scenario_title") or progress.get("scenario")
    placed, orders = progress.get("placed"), progress.get("orders")
    beat = progress.get("beat")
    return {
        "phase": PHASES.get(progress.get("phase", ""), progress.get("phase")),
        "scenario": (f"{number} of {count}: {name}" if number and count else name) if name else "—",
        "placed": f"{placed} of {orders}" if placed is not None and orders else "—",
        "settled": str(progress["settled"]) if progress.get("settled") is not None else "—",
        "note": progress.get("note") or "—",
        "stop": f"asked by {experiment.stop_requested_by}" if experiment.stop_requested_by else "",
        "bar_value": placed or 0,
        "bar_max": orders or 1,
        "beat": datetime.fromisoformat(beat) if beat else None,
    }


def _lab_page(request, *, form=None, busy=None, status=200):
    form = form or _form()
    numbers = tradeoffs_module.tradeoffs()
    active = records.experiment_active()
    context = {
        "form": form,
        "scenario_choices": _scenario_choices(form),
        "general_fields": [form[name] for name in GENERAL_FIELDS],
        "busy": busy,
        "active": active,
        "progress": progress_shown(active) if active else None,
        "experiments": records.experiments_recent(),
        "lab_control": operators.LAB,
        "phases": PHASES,
        "poll_ms": POLL_MS,
        # this shop's own traffic (experiment orders left out by Orders' selectors)
        "styles": numbers,
        "chart": tradeoffs_module.chart_data(numbers),
        "sample": tradeoffs_module.SAMPLE,
        "stuck_after": int(tradeoffs_module.STUCK_AFTER.total_seconds()),
    }
    return render(request, "dashboard/tradeoffs.html", context, status=status)


@staff_member_required
@require_GET
def tradeoffs(request):
    return _lab_page(request)


@staff_member_required
@require_POST
@control_required(operators.LAB)
def experiment_start(request):
    form = _form(request.POST)
    if not form.is_valid():
        return _lab_page(request, form=form, status=BAD_REQUEST)
    try:
        experiment = records.experiment_launch(parameters=form.parameters(), actor=actor_of(request))
    except records.ExperimentBusy as busy:
        return _lab_page(request, form=form, busy=busy.running, status=CONFLICT)
    return redirect("dashboard:experiment", pk=experiment.pk)


@staff_member_required
@require_POST
@control_required(operators.LAB)
def experiment_stop(request, pk: int):
    found = records.experiment_or_404(pk)
    if records.experiment_stop(found, actor=actor_of(request)):
        messages.success(request, f"Experiment {pk} stops at its runner's next look, within a second or two.")
    else:
        messages.info(request, f"Experiment {pk} had ended already: nothing to stop.")
    return redirect("dashboard:experiment", pk=pk)


def _settings_shown(parameters: dict) -> list[tuple[str, str]]:
    shown = []
    for name, value in parameters.get("settings", {}).items():
        setting = SETTINGS.get(name)
        shown.append((LABELS.get(name, name), f"{value} {setting.unit}" if setting else str(value)))
    return shown


@staff_member_required
@require_GET
def experiment(request, pk: int):
    found = records.experiment_or_404(pk)
    scenarios = found.results.get("scenarios", [])
    context = {
        "experiment": found,
        "schedule": SCHEDULES.get(found.parameters.get("schedule"), found.parameters.get("schedule")),
        "settings_shown": _settings_shown(found.parameters),
        "scenarios": scenarios,
        "charts": [scenario.get("charts", {}) for scenario in scenarios],
        "progress": progress_shown(found),
        "lab_control": operators.LAB,
        "phases": PHASES,
        "poll_ms": POLL_MS,
    }
    return render(request, "dashboard/lab_experiment.html", context)


@staff_member_required
@require_GET
@never_cache
def experiment_json(request, pk: int):
    return JsonResponse(records.experiment_json(records.experiment_or_404(pk)))
