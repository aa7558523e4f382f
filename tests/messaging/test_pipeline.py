"""The pipeline around the handler: a registered step runs in its place and sees the attempt; the fault lab
step is in a context's chain only while a fault is set; a wrong registration fails at the call."""

import json
import os
import sys

import pytest
from django.db import transaction

import messaging
from messaging.models import Delivery, DeliveryStatus, FaultSetting
from messaging.runtime import pipeline
from messaging.runtime.claims import delivery_claim_next
from tests.processes import ManagedProcess, wait_for_cluster, wait_until
from tests.testapp.contracts import DoWork, Flaky, Positive
from tests.testapp.models import Effect

pytestmark = pytest.mark.django_db

BUILT_IN = ["breaker", "outcome", "load", "lease", "fault_lab", "transaction", "time_limit", "handler"]
AT_START_UP = pipeline.names()  # the built-in steps and those the apps registered as they got ready (tracing...)


def placed(names: list[str], name: str, *, before: str = "", after: str = "") -> list[str]:
    """``names`` with ``name`` put just before or just after another, as ``pipeline.register`` puts it."""
    at = names.index(before) if before else names.index(after) + 1
    return [*names[:at], name, *names[at:]]


class Recorder:
    """Two steps: one outside the error policy (sees the recorded outcome), one after the handler (inside its
    transaction)."""

    def __init__(self):
        self.seen = []

    def around(self, attempt, next):
        self.seen.append(("around: before", attempt.handler, attempt.outcome))
        next(attempt)
        self.seen.append(("around: after", attempt.handler.name, attempt.outcome, type(attempt.error).__name__))

    def after_handler(self, attempt, next):
        in_transaction = transaction.get_connection().in_atomic_block
        handled = Effect.objects.filter(key=getattr(attempt.message, "key", "")).exists()
        self.seen.append(("after handler", attempt.message, attempt.result, in_transaction, handled))
        next(attempt)


@pytest.fixture
def recorder():
    recorder = Recorder()
    pipeline.register(recorder.around, before="outcome", name="recorder.around")
    pipeline.register(recorder.after_handler, after="handler", name="recorder.after_handler")
    yield recorder
    pipeline.unregister("recorder.around")
    pipeline.unregister("recorder.after_handler")


def test_a_registered_step_runs_in_its_place_and_sees_the_message_the_handler_and_the_outcome(recorder, run_deliveries):
    command_id = messaging.send(DoWork(key="k"))

    run_deliveries()

    around = placed(AT_START_UP, "recorder.around", before="outcome")
    assert pipeline.names() == placed(around, "recorder.after_handler", after="handler")
    assert recorder.seen == [
        ("around: before", None, ""),  # outside "load": no handler yet
        ("after handler", DoWork(key="k"), {"done": "k"}, True, True),  # in the handler's transaction, after it ran
        ("around: after", "tests.do_work", pipeline.SUCCEEDED, "NoneType"),
    ]
    assert Delivery.objects.get(message_id=command_id).status == DeliveryStatus.SUCCEEDED


def test_a_step_outside_the_error_policy_sees_a_failure_as_recorded(recorder, run_deliveries):
    messaging.publish(Flaky(key="f", fail_times=1))

    run_deliveries()

    endings = [entry[1:] for entry in recorder.seen if entry[0] == "around: after"]
    assert endings == [
        ("tests.flaky", DeliveryStatus.FAILED, "ConnectionError"),  # a retry scheduled
        ("tests.flaky", pipeline.SUCCEEDED, "NoneType"),
    ]
    assert [entry[0] for entry in recorder.seen].count("after handler") == 1  # the failed attempt never got there


def test_a_step_that_raises_fails_the_attempt_before_the_handler_runs():
    def refuse(attempt, next):
        raise ConnectionError("refused by a step")

    pipeline.register(refuse, after="lease", name="refuse")
    try:
        messaging.publish(Positive(number=1))
        claim = delivery_claim_next(actor="test")
        attempt = pipeline.Chains()["tests"].run(claim)
    finally:
        pipeline.unregister("refuse")

    assert (attempt.outcome, str(attempt.error)) == (DeliveryStatus.FAILED, "refused by a step")
    assert not Effect.objects.exists()
    assert "ConnectionError: refused by a step" in Delivery.objects.get().last_error


# --- The fault lab step: there only while a fault is set -----------------------------------------------------------


def test_the_fault_lab_step_is_in_a_contexts_chain_only_while_a_fault_is_set_for_it():
    assert "fault_lab" not in pipeline.Chains()["tests"].names

    FaultSetting.objects.create(context="tests", failure_rate=10)
    FaultSetting.objects.create(context="vendors")  # all values healthy: no fault
    chains = pipeline.Chains()

    assert chains["tests"].names == tuple(AT_START_UP)
    assert chains["tests"].fault.failure_rate == 10
    assert "fault_lab" not in chains["vendors"].names
    assert "fault_lab" not in chains["orders"].names


def test_a_healthy_context_runs_the_same_chain_as_with_no_fault_lab_at_all():
    healthy = pipeline.Chains()["tests"]

    assert healthy.names == tuple(name for name in AT_START_UP if name != "fault_lab")
    assert (healthy.fault, healthy.runs_alone) == (None, False)


def test_only_a_chain_with_fault_lab_latency_runs_alone():
    FaultSetting.objects.create(context="tests", unavailable=True)
    FaultSetting.objects.create(context="vendors", latency_ms=100)
    chains = pipeline.Chains()

    assert (chains["tests"].runs_alone, chains["vendors"].runs_alone) == (False, True)


# --- Registering wrongly fails at the call ---------------------------------------------------------------------------


def a_step(attempt, next):
    next(attempt)


@pytest.mark.parametrize(
    ("step", "where", "complaint"),
    [
        (a_step, {}, "exactly one of before= or after="),
        (a_step, {"before": "lease", "after": "lease"}, "exactly one of before= or after="),
        (a_step, {"before": "tracing"}, "no step named 'tracing' to go next to; steps: breaker, "),
        (a_step, {"after": "lease", "name": "time_limit"}, "a step named 'time_limit' is already in the pipeline"),
        (lambda attempt: None, {"after": "lease"}, "does not take (attempt, next)"),
        (lambda attempt, next, extra: None, {"after": "lease"}, "does not take (attempt, next)"),
        ("tests.a_step", {"after": "lease", "name": "dotted"}, "is not callable"),
    ],
)
def test_a_wrong_registration_is_refused_at_the_call_and_leaves_the_pipeline_as_it_was(step, where, complaint):
    with pytest.raises(pipeline.PipelineError, match=complaint.replace("(", r"\(").replace(")", r"\)")):
        pipeline.register(step, **where)

    assert pipeline.names() == AT_START_UP


def test_a_step_cannot_be_registered_twice_under_one_name():
    pipeline.register(a_step, after="lease")
    try:
        with pytest.raises(pipeline.PipelineError, match="already in the pipeline"):
            pipeline.register(a_step, before="handler")
    finally:
        pipeline.unregister(f"{__name__}.a_step")

    assert pipeline.names() == AT_START_UP


def test_the_steps_the_apps_register_go_between_the_built_in_ones_which_keep_their_order():
    assert [name for name in AT_START_UP if name in BUILT_IN] == BUILT_IN


def test_the_pipelines_own_steps_cannot_be_taken_out():
    with pytest.raises(pipeline.PipelineError, match="one of the pipeline's own steps"):
        pipeline.unregister("lease")


# --- Against a real qcluster ----------------------------------------------------------------------------------------


def write_attempt_line(attempt, next):
    """Appends one JSON line per attempt to $PIPELINE_STEP_LOG: what a tracing step would see."""
    next(attempt)
    line = {"handler": attempt.handler.name, "message": attempt.message.model_dump(), "outcome": attempt.outcome}
    with open(os.environ["PIPELINE_STEP_LOG"], "a") as log:
        log.write(json.dumps(line) + "\n")


def attempt_lines(path, count: int) -> list[str]:
    lines = path.read_text().splitlines() if path.exists() else []
    return lines if len(lines) >= count else []


CLUSTER_WITH_A_STEP = """
import django
django.setup()
from django.core.management import call_command
from messaging.runtime import pipeline
from tests.messaging.test_pipeline import write_attempt_line
pipeline.register(write_attempt_line, before="outcome")
call_command("qcluster")
"""


@pytest.mark.cluster
def test_a_step_registered_at_start_up_runs_in_the_clusters_workers(transactional_db, tmp_path):
    step_log = tmp_path / "attempts.jsonl"
    cluster = ManagedProcess(
        log=tmp_path / "qcluster.log",
        program=[sys.executable, "-c", CLUSTER_WITH_A_STEP],
        env={"PIPELINE_STEP_LOG": str(step_log)},
    )
    try:
        wait_for_cluster(cluster)
        with transaction.atomic():  # the wake-up goes out on commit
            messaging.publish(Flaky(key="live", fail_times=1))

        wait_until(lambda: Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED).exists(), message="the delivery")
        lines = wait_until(lambda: attempt_lines(step_log, 2), message="a line per attempt")
    finally:
        cluster.stop()

    assert [json.loads(line) for line in lines] == [
        {"handler": "tests.flaky", "message": {"key": "live", "fail_times": 1}, "outcome": DeliveryStatus.FAILED},
        {"handler": "tests.flaky", "message": {"key": "live", "fail_times": 1}, "outcome": pipeline.SUCCEEDED},
    ]
