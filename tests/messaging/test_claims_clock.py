"""Due times and leases are read on the database's clock: hosts whose clocks are skewed still agree."""

from datetime import timedelta

import pytest
from django.db import connection  # noqa: F401 (read by the skipif condition)
from django.utils import timezone

import messaging
from messaging.models import Delivery, DeliveryStatus, JournalEntry, Step
from messaging.processes.sweeper import sweep
from messaging.runtime.claims import delivery_claim_next, lease_seconds
from messaging.runtime.worker import execute
from tests.testapp.contracts import Flaky, Positive

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="on SQLite the database's clock is the host's"),
]

SKEW = timedelta(minutes=10)


@pytest.fixture
def host_clock(monkeypatch):
    """Set this host's clock off the true time by some amount (``host_clock(None)``: back to the truth)."""
    true_now = timezone.now

    def skew(by: timedelta | None):
        monkeypatch.setattr(timezone, "now", true_now if by is None else lambda: true_now() + by)

    return skew


def test_a_host_whose_clock_is_ahead_claims_no_delivery_that_is_not_yet_due(host_clock, run_deliveries):
    messaging.publish(Positive(number=1), delay=timedelta(minutes=5))

    host_clock(SKEW)

    assert delivery_claim_next(actor="worker:ahead") is None
    assert run_deliveries() == 0
    assert Delivery.objects.get().status == DeliveryStatus.PENDING


def test_a_host_whose_clock_is_behind_claims_a_due_delivery_with_a_lease_that_is_live_by_the_database():
    messaging.publish(Positive(number=1))
    truth = timezone.now()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: truth - SKEW)
        claim = delivery_claim_next(actor="worker:behind")

    assert claim is not None
    assert claim.delivery.lease_expires_at >= truth + timedelta(seconds=lease_seconds(""))
    assert sweep().expired == 0
    assert Delivery.objects.get().status == DeliveryStatus.RUNNING


def test_a_sweeper_whose_clock_is_ahead_leaves_a_live_lease_alone(host_clock):
    messaging.publish(Positive(number=1))
    claim = delivery_claim_next(actor="worker:1")

    host_clock(SKEW)

    assert sweep().expired == 0
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.lease_token) == (DeliveryStatus.RUNNING, claim.token)


def test_a_sweeper_whose_clock_is_behind_still_takes_back_an_expired_lease(host_clock):
    messaging.publish(Positive(number=1))
    delivery_claim_next(actor="worker:dead")
    Delivery.objects.update(lease_expires_at=timezone.now() - timedelta(hours=1))  # its worker died long ago

    host_clock(-SKEW)

    assert sweep().expired == 1
    assert Delivery.objects.get().status == DeliveryStatus.FAILED


def test_a_retry_scheduled_by_a_host_whose_clock_is_ahead_is_due_when_the_database_says(host_clock, run_deliveries):
    messaging.publish(Flaky(key="k", fail_times=1))
    host_clock(SKEW)
    claim = delivery_claim_next(actor="worker:ahead")

    assert execute(claim) is False  # the first attempt fails; the policy retries at once

    host_clock(None)
    assert Delivery.objects.get().available_at <= timezone.now()
    assert run_deliveries() == 1
    assert Delivery.objects.get().status == DeliveryStatus.SUCCEEDED


def test_a_worker_whose_clock_is_behind_journals_its_steps_at_the_database_time(host_clock, run_deliveries):
    messaging.publish(Positive(number=1))
    truth = timezone.now()

    host_clock(-SKEW)
    assert run_deliveries() == 1
    host_clock(None)

    delivery = Delivery.objects.get()
    steps = JournalEntry.objects.filter(handler=delivery.handler).values_list("step", "at")
    assert {step for step, _ in steps} == {Step.STARTED, Step.SUCCEEDED}
    for step, at in [*steps, ("finished", delivery.finished_at)]:
        assert abs(at - truth) < timedelta(seconds=30), f"{step} at {at}, the database's time {truth}"
