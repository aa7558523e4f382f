"""``run_experiment`` refuses what it cannot run, saying why, and leaves nothing half-done."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from marketplace.lab import records
from marketplace.lab.models import Experiment
from messaging import controls

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--orders", "0"], "--orders: Ensure this value is greater than or equal to 1."),
        (["--orders", "2001"], "--orders: Ensure this value is less than or equal to 2000."),
        (["--rate", "0"], "--rate: Ensure this value is greater than or equal to 0.1."),
        (["--rate", "nan"], "--rate:"),
        (["--seed", "-1"], "--seed: Ensure this value is greater than or equal to 0."),
        (["--latency-ms", "100"], "--latency-ms: --latency-ms is the slow scenario's: add that scenario."),
        (["--scenario", "slow", "--latency-ms", "40000"], "--latency-ms: Ensure this value is less than or equal"),
        (["--scenario", "vendors-down", "--down-seconds", "0"], "--down-seconds: Ensure this value is greater"),
        (["--settle-timeout", "1"], "--settle-timeout: Ensure this value is greater than or equal to 5."),
    ],
)
def test_a_bad_option_is_refused_by_name_and_nothing_is_recorded(arguments, said):
    with pytest.raises(CommandError, match=r"^Nothing run: ") as refused:
        call_command("run_experiment", *arguments)
    assert said in str(refused.value)
    assert not Experiment.objects.exists()


def test_an_unknown_scenario_is_refused_with_the_choices():
    with pytest.raises(
        CommandError,
        match=r"invalid choice: 'meteor' \(choose from 'baseline', 'vendors-down', 'flaky', 'slow', 'vendor-silent'",
    ):
        call_command("run_experiment", "--scenario", "meteor")


def test_without_running_workers_the_experiment_fails_saying_what_to_start():
    with pytest.raises(CommandError, match="No worker cluster is running: start the workers first"):
        call_command("run_experiment", "--orders", "2")
    experiment = Experiment.objects.get()
    assert experiment.status == Experiment.Status.FAILED and experiment.active is None
    assert "No worker cluster" in experiment.error


def test_one_experiment_at_a_time():
    running = records.experiment_create(parameters={"scenarios": ["baseline"]}, actor="cli:someone")
    with pytest.raises(CommandError, match=f"Experiment {running.pk} is queued: one experiment runs at a time"):
        call_command("run_experiment", "--orders", "2")
    assert Experiment.objects.count() == 1


def test_an_experiment_whose_process_died_stops_holding_the_lab():
    dead = records.experiment_create(parameters={"scenarios": ["baseline"]}, actor="cli:someone")
    stale = (timezone.now() - records.DEAD_AFTER - timedelta(seconds=1)).isoformat()
    Experiment.objects.filter(pk=dead.pk).update(progress={"beat": stale})
    assert records.experiment_active() is None
    dead.refresh_from_db()
    assert dead.status == Experiment.Status.INTERRUPTED and dead.active is None
    assert records.experiment_create(parameters={"scenarios": ["baseline"]}, actor="cli:someone").pk != dead.pk


def test_only_a_queued_experiment_can_be_run_by_id():
    with pytest.raises(CommandError, match=r"No experiment 999\."):
        call_command("run_experiment", "--experiment", "999")
    done = Experiment.objects.create(parameters={"scenarios": ["baseline"]}, actor="x", status="finished", active=None)
    with pytest.raises(CommandError, match=f"Experiment {done.pk} is finished: only a queued experiment can be run."):
        call_command("run_experiment", "--experiment", str(done.pk))


def test_a_fault_already_set_on_vendors_is_refused_before_anything_runs(qcluster):
    controls.fault_set(context="vendors", unavailable=False, latency_ms=50, failure_rate=0, actor="test")
    with pytest.raises(CommandError, match=r"The fault lab is set for vendors .*fault_lab vendors --clear"):
        call_command("run_experiment", "--orders", "2")
    assert controls.fault_settings()["vendors"].latency_ms == 50  # the operator's setting, left alone
