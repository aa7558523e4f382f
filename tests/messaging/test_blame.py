"""Failures are charged to the right party: the breaker counts only what the destination context did wrong,
leases do not run out behind a slow delivery, and the fault lab's latency is part of the attempt."""

from datetime import datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

import messaging
from messaging.models import CircuitBreaker, Delivery, DeliveryStatus, FaultSetting
from messaging.processes.sweeper import expire_leases
from messaging.runtime import worker
from messaging.runtime.claims import delivery_claim_batch, delivery_claim_next, leases_renew
from tests.testapp.contracts import Contended, LeaseProbe, Positive, Slow
from tests.testapp.models import Effect
from vendors.contracts import ProductListed

pytestmark = pytest.mark.django_db

THRESHOLD = 5  # tests/settings.py MESSAGING["breaker_threshold"]


def failures_on_record(context: str = "tests") -> int:
    breaker = CircuitBreaker.objects.filter(context=context).first()
    return breaker.consecutive_failures if breaker else 0


def test_leases_lost_to_crashed_workers_count_as_attempts_but_never_open_the_breaker():
    for number in range(1, THRESHOLD + 2):
        messaging.publish(Positive(number=number))
    moment = timezone.now()
    for _ in range(THRESHOLD + 1):
        claim = delivery_claim_next(actor="worker:killed", now=moment)
        assert expire_leases(claim.delivery.lease_expires_at + timedelta(seconds=1)) == 1

    assert failures_on_record() == 0
    assert set(Delivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.FAILED, 1)}


def test_a_transaction_that_lost_a_race_is_retried_without_being_charged_to_the_breaker(run_deliveries):
    for number in range(THRESHOLD + 1):
        messaging.publish(Contended(key=str(number), fail_times=1))

    run_deliveries()

    assert failures_on_record() == 0
    assert Effect.objects.filter(handler="contended").count() == THRESHOLD + 1
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {2}


def test_a_handler_failure_is_still_charged_to_its_context(run_deliveries):
    FaultSetting.objects.create(context="tests", unavailable=True)
    messaging.publish(Positive(number=1))

    run_deliveries()

    assert failures_on_record() >= 1


@override_settings(Q_CLUSTER={"workers": 1})
def test_a_batch_renews_the_leases_of_the_deliveries_still_waiting_in_the_workers_hands():
    messaging.publish(LeaseProbe(key="probe"))
    messaging.publish(Positive(number=1))
    messaging.publish(Positive(number=2))
    claims = delivery_claim_batch(actor="worker:1", limit=3)
    assert claims[0].delivery.handler == "tests.lease_probe"
    short = timezone.now() + timedelta(milliseconds=300)  # as if the batch had waited behind a slow delivery
    Delivery.objects.update(lease_expires_at=short)
    for claim in claims:
        claim.delivery.lease_expires_at = short

    worker.execute_batch(claims)

    seen = Effect.objects.get(handler="lease_probe").data  # the others' leases while the first one ran
    assert len(seen) == 2
    assert all(datetime.fromisoformat(expiry) > short + timedelta(seconds=3) for expiry in seen.values())
    assert Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 3


def test_renewing_leaves_a_lease_that_another_worker_took_over_alone():
    messaging.publish(Positive(number=1))
    (claim,) = delivery_claim_batch(actor="worker:1")
    Delivery.objects.update(lease_token=None, lease_expires_at=None, status=DeliveryStatus.FAILED)  # swept meanwhile
    claim.delivery.lease_expires_at = timezone.now()

    leases_renew([claim])

    assert Delivery.objects.get().lease_expires_at is None


def test_fault_lab_latency_is_part_of_the_attempt_and_counts_against_its_time_limit(run_deliveries):
    FaultSetting.objects.create(context="tests", latency_ms=600)
    messaging.publish(Slow(key="k", seconds=0.6))  # 0.6 s of latency + 0.6 s of work > its 1 s timeout

    run_deliveries()

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)  # the first was stopped at 1 s
    assert list(Effect.objects.values_list("attempt", flat=True)) == [2]


def test_a_latency_past_the_time_limit_is_a_timeout():
    FaultSetting.objects.create(context="tests", latency_ms=1500)
    messaging.publish(Slow(key="k", seconds=0.1, slow_times=0))
    claim = delivery_claim_next(actor="worker:1")

    assert worker.execute(claim) is False

    delivery = Delivery.objects.get()
    assert delivery.last_error == (
        "HandlerTimeoutError: handler tests.slow ran past its 1s timeout (1500 ms of fault-lab latency)"
    )


@override_settings(Q_CLUSTER={"workers": 2})
def test_a_slow_context_is_claimed_one_delivery_at_a_time_and_by_half_the_workers_at_most():
    FaultSetting.objects.create(context="tests", latency_ms=100)
    for number in range(1, 5):
        messaging.publish(Positive(number=number))

    first = delivery_claim_batch(actor="worker:1")
    second = delivery_claim_batch(actor="worker:2")

    assert len(first) == 1
    assert second == []  # one of two workers is the slow context's share


@override_settings(Q_CLUSTER={"workers": 1})
def test_a_slow_context_runs_last_in_its_batch_so_the_other_contexts_do_not_wait_for_it():
    FaultSetting.objects.create(context="tests", latency_ms=300)
    messaging.publish(Positive(number=1))
    messaging.publish(ProductListed(product_id=1, vendor_id=1, vendor_name="V", product_name="P", price="1.00",
                                    stock=1, revision=1))  # fmt: skip
    claims = delivery_claim_batch(actor="worker:1")
    assert {c.delivery.context for c in claims} == {"tests", "orders"}

    worker.execute_batch(claims)

    finished = dict(Delivery.objects.values_list("context", "finished_at"))
    assert finished["orders"] < finished["tests"] - timedelta(milliseconds=250)
