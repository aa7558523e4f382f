from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ

import messaging
from messaging.models import Delivery, DeliveryStatus, JournalEntry, Message, Step
from messaging.processes.sweeper import Sweep, expire_leases, sweep
from messaging.runtime import wakeup
from messaging.runtime.claims import delivery_claim_next
from messaging.runtime.policy import DEFAULT_POLICY
from messaging.runtime.worker import execute
from tests.testapp.contracts import DoWork, Positive
from tests.testapp.handlers import FAST, outcome_log
from tests.testapp.models import Effect

pytestmark = pytest.mark.django_db


def abandon_a_claim(now=None):
    """A worker claims a delivery, then dies without recording anything."""
    claim = delivery_claim_next(actor="worker:dead", now=now)
    assert claim is not None
    return claim


def test_a_lease_that_has_not_expired_is_left_alone():
    messaging.publish(Positive(number=1))
    claim = abandon_a_claim()

    assert expire_leases(claim.delivery.lease_expires_at - timedelta(seconds=1)) == 0

    assert Delivery.objects.get().status == DeliveryStatus.RUNNING


def test_an_expired_lease_becomes_a_failed_attempt_to_retry(run_deliveries):
    messaging.publish(Positive(number=1))
    claim = abandon_a_claim()

    assert expire_leases(claim.delivery.lease_expires_at + timedelta(seconds=1)) == 1

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.lease_token) == (DeliveryStatus.FAILED, 1, None)
    assert delivery.last_error.startswith("lease expired")
    steps = JournalEntry.objects.filter(actor="sweeper").order_by("seq").values_list("step", flat=True)
    assert list(steps) == [Step.FAILED, Step.RETRY_SCHEDULED]
    assert run_deliveries() == 1  # the immediate retry
    assert Effect.objects.get().attempt == 2


def test_an_expired_lease_on_the_last_attempt_becomes_a_dead_letter():
    messaging.publish(Positive(number=1))
    moment = timezone.now()
    for _ in range(DEFAULT_POLICY.max_attempts):
        moment += timedelta(hours=1)  # past any backoff and past the previous lease
        abandon_a_claim(now=moment)
        assert expire_leases(moment + timedelta(minutes=1)) == 1

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DEAD, DEFAULT_POLICY.max_attempts)
    dead = JournalEntry.objects.get(step=Step.DEAD_LETTERED)
    assert dead.actor == "sweeper"
    assert dead.detail.startswith(f"gave up after {DEFAULT_POLICY.max_attempts} attempts: lease expired")


def test_a_command_dead_lettered_by_the_sweeper_still_sends_its_outcome_caused_by_it():
    command_id = messaging.send(DoWork(key="k"), reply_to=outcome_log)
    moment = timezone.now()
    for _ in range(FAST.max_attempts):
        moment += timedelta(hours=1)
        abandon_a_claim(now=moment)
        expire_leases(moment + timedelta(minutes=1))

    command = Message.objects.get(pk=command_id)
    outcome = Message.objects.get(type="messaging.CommandOutcome")
    assert (outcome.correlation_id, outcome.causation_id) == (command.correlation_id, str(command.id))
    assert outcome.payload["status"] == "failed"
    assert outcome.payload["error"].startswith("lease expired")


def test_a_worker_that_finishes_after_its_lease_was_expired_changes_nothing():
    messaging.publish(Positive(number=1))
    claim = abandon_a_claim()
    expire_leases(claim.delivery.lease_expires_at + timedelta(seconds=1))

    execute(claim)  # the worker was only slow, not dead

    assert not Effect.objects.exists()
    assert Delivery.objects.get().status == DeliveryStatus.FAILED


def test_a_sweep_wakes_the_workers_for_due_deliveries_whose_wake_up_was_lost():
    messaging.publish(Positive(number=1))  # its on-commit wake-up never runs inside a test transaction

    assert sweep().woken == wakeup.worker_count()

    assert OrmQ.objects.count() == wakeup.worker_count()
    assert sweep().woken == 0  # enough wake-ups are queued already
    assert OrmQ.objects.count() == wakeup.worker_count()


def test_a_sweep_with_nothing_due_wakes_nobody():
    messaging.publish(Positive(number=1), delay=60)

    assert sweep() == Sweep(expired=0, woken=0)
    assert not OrmQ.objects.exists()
