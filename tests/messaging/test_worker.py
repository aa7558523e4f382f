import uuid
from time import monotonic

import pytest
from django.conf import settings
from django.test import override_settings
from django_q.models import OrmQ

import messaging
from messaging.models import Delivery, DeliveryStatus, JournalEntry, Step
from messaging.runtime import worker
from messaging.runtime.claims import delivery_claim_next
from tests.testapp.contracts import DoWork, Flaky, Noted, Ping, Positive, Slow, Unserialisable
from tests.testapp.models import Effect

pytestmark = pytest.mark.django_db


def test_a_claim_leases_the_delivery_and_counts_the_attempt():
    messaging.publish(Positive(number=1))

    claim = delivery_claim_next(actor="worker:1")

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.lease_token) == (DeliveryStatus.RUNNING, 1, claim.token)
    assert delivery.lease_expires_at > delivery.available_at
    assert delivery_claim_next(actor="worker:2") is None  # a running delivery is nobody else's


def test_an_attempt_is_journaled_as_started_then_ended_when_it_ends():
    messaging.publish(Positive(number=1))
    claim = delivery_claim_next(actor="worker:1")
    assert not JournalEntry.objects.filter(step=Step.STARTED).exists()  # not while the handler may roll back

    worker.execute(claim)

    started, succeeded = JournalEntry.objects.filter(step__in=[Step.STARTED, Step.SUCCEEDED]).order_by("seq")
    assert (started.step, started.handler, started.attempt, started.actor) == (
        Step.STARTED,
        "tests.positive",
        1,
        "worker:1",
    )
    assert succeeded.step == Step.SUCCEEDED and started.at <= succeeded.at


def test_a_stale_claim_whose_lease_was_taken_over_has_no_effect():
    messaging.publish(Positive(number=1))
    stale = delivery_claim_next(actor="worker:1")
    # Another worker re-claimed the delivery meanwhile: the lease now carries its token.
    new_token = uuid.uuid4()
    Delivery.objects.update(lease_token=new_token, attempts=2)

    worker.execute(stale)

    assert not Effect.objects.exists()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.lease_token) == (DeliveryStatus.RUNNING, 2, new_token)
    assert not JournalEntry.objects.filter(step__in=[Step.SUCCEEDED, Step.FAILED]).exists()


def test_a_successful_attempt_commits_the_handlers_writes_with_succeeded(run_deliveries):
    messaging.publish(Positive(number=7))

    assert run_deliveries() == 1

    assert list(Effect.objects.values_list("handler", "key", "attempt")) == [("positive", "7", 1)]
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.lease_token, delivery.finished_at is not None) == ("succeeded", None, True)
    assert JournalEntry.objects.get(step=Step.SUCCEEDED).duration_ms >= 0


def test_a_failed_attempt_rolls_back_the_handlers_writes(run_deliveries):
    messaging.publish(Flaky(key="k", fail_times=1))

    run_deliveries()

    # Attempt 1 wrote an effect and failed; only attempt 2's effect is left.
    assert list(Effect.objects.values_list("attempt", flat=True)) == [2]


def test_writes_are_rolled_back_when_the_success_cannot_be_recorded(run_deliveries):
    command_id = messaging.send(Unserialisable(key="k"))

    assert run_deliveries() == 1

    assert not Effect.objects.exists()
    outcome = messaging.outcome(command_id)
    assert (outcome.status, outcome.attempts) == (DeliveryStatus.DEAD, 1)
    assert "returned a value that is not JSON" in outcome.error


def test_a_command_keeps_its_result(run_deliveries):
    command_id = messaging.send(DoWork(key="k"))

    run_deliveries()

    assert Delivery.objects.get(message_id=command_id).result == {"done": "k"}


def test_an_event_handlers_return_value_is_ignored_even_when_it_is_not_json(run_deliveries):
    messaging.publish(Noted(key="k"))

    run_deliveries()

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.result) == (DeliveryStatus.SUCCEEDED, None)
    assert Effect.objects.filter(handler="noted").count() == 1


def test_a_handler_that_hangs_past_its_timeout_is_stopped_and_counted_as_a_failed_attempt(run_deliveries):
    messaging.publish(Slow(key="k", seconds=30, slow_times=1))
    started = monotonic()

    run_deliveries()

    assert monotonic() - started < 5  # stopped after 1s, not left to sleep 30s
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)
    failed = JournalEntry.objects.get(step=Step.FAILED)
    assert failed.attempt == 1
    assert "HandlerTimeoutError: handler tests.slow ran past its 1s timeout" in failed.detail
    assert list(Effect.objects.values_list("attempt", flat=True)) == [2]


@override_settings(MESSAGING={"drain_seconds": 0})
def test_a_worker_task_that_spends_its_budget_with_work_left_wakes_a_fresh_task():
    messaging.publish(Ping(key="k"))

    assert worker.run_due_deliveries() == 1

    assert Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 1
    assert OrmQ.objects.count() == 1


def test_a_worker_task_that_empties_the_queue_wakes_nobody():
    messaging.publish(Ping(key="k"))

    assert worker.run_due_deliveries() == 2

    assert not OrmQ.objects.exists()


@override_settings(MESSAGING={**settings.MESSAGING, "group_commit_seconds": 0})
def test_with_no_group_commit_each_delivery_commits_alone(run_deliveries):
    for number in range(1, 4):
        messaging.publish(Positive(number=number))

    assert run_deliveries() == 3

    assert Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 3
