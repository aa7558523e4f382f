from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection  # noqa: F401 (read by a skipif condition)
from django.utils import timezone

import messaging
from messaging.models import BreakerState, CircuitBreaker, Delivery, DeliveryStatus, JournalEntry, Step
from messaging.runtime import breaker, wakeup
from messaging.runtime.claims import delivery_claim_batch, delivery_claim_next
from messaging.runtime.worker import execute
from tests.testapp.contracts import Flaky, Ping, Rejected
from vendors.contracts import ProductListed

pytestmark = pytest.mark.django_db

THRESHOLD = settings.MESSAGING["breaker_threshold"]
COOLDOWN = timedelta(seconds=settings.MESSAGING["breaker_cooldown"])


def trip_breaker(run_deliveries, *, fail_times: int) -> None:
    """Fail as many first attempts in the ``tests`` context as open its breaker."""
    for n in range(THRESHOLD):
        messaging.publish(Flaky(key=f"k{n}", fail_times=fail_times))
    assert run_deliveries() == THRESHOLD


def attempts() -> list[int]:
    return list(Delivery.objects.order_by("id").values_list("attempts", flat=True))


def after_cooldown():
    return timezone.now() + COOLDOWN + timedelta(seconds=1)


def test_consecutive_failures_open_the_contexts_breaker(run_deliveries):
    trip_breaker(run_deliveries, fail_times=1)

    breaker = CircuitBreaker.objects.get(context="tests")
    assert (breaker.state, breaker.consecutive_failures) == (BreakerState.OPEN, THRESHOLD)
    assert JournalEntry.objects.get(step=Step.BREAKER_OPENED).detail.startswith(f"{THRESHOLD} consecutive failures")


def test_one_failure_short_of_the_threshold_leaves_the_breaker_closed(run_deliveries):
    for n in range(THRESHOLD - 1):
        messaging.publish(Flaky(key=f"k{n}", fail_times=1))

    assert run_deliveries() == 2 * (THRESHOLD - 1)  # each fails once, then succeeds

    assert CircuitBreaker.objects.get(context="tests").state == BreakerState.CLOSED
    assert not JournalEntry.objects.filter(step=Step.BREAKER_OPENED).exists()


def test_an_open_breaker_holds_its_contexts_deliveries_without_counting_attempts(run_deliveries):
    trip_breaker(run_deliveries, fail_times=1)
    messaging.publish(Ping(key="waits"))

    assert run_deliveries() == 0
    assert run_deliveries(now=timezone.now() + COOLDOWN / 2) == 0

    assert attempts() == [1] * THRESHOLD + [0, 0]
    assert Delivery.objects.filter(status=DeliveryStatus.RUNNING).count() == 0


def test_an_open_breaker_holds_only_its_own_context(run_deliveries):
    trip_breaker(run_deliveries, fail_times=1)  # more held deliveries than a claim looks at

    listed = ProductListed(
        product_id=1, vendor_id=1, vendor_name="V", product_name="Tea", price="2.50", stock=3, revision=1
    )
    messaging.publish(listed)  # Orders keeps a catalog of it

    assert run_deliveries() == 1
    assert Delivery.objects.get(context="orders").status == DeliveryStatus.SUCCEEDED


def test_permanent_errors_do_not_count_towards_the_breaker(run_deliveries):
    for n in range(THRESHOLD):
        messaging.publish(Rejected(key=f"k{n}"))

    assert run_deliveries() == THRESHOLD

    assert not CircuitBreaker.objects.filter(context="tests").exclude(consecutive_failures=0).exists()
    assert not JournalEntry.objects.filter(step=Step.BREAKER_OPENED).exists()


def test_after_the_cool_down_exactly_one_probe_is_claimed(run_deliveries):
    trip_breaker(run_deliveries, fail_times=1)
    later = after_cooldown()

    probe = delivery_claim_next(actor="test", now=later)

    assert probe is not None
    assert delivery_claim_next(actor="test", now=later) is None
    assert CircuitBreaker.objects.get(context="tests").state == BreakerState.HALF_OPEN
    execute(probe)
    started = JournalEntry.objects.filter(step=Step.STARTED).first()
    assert started.detail == "probe of an open circuit breaker"


def test_a_successful_probe_closes_the_breaker_and_lets_the_rest_through(run_deliveries):
    trip_breaker(run_deliveries, fail_times=1)
    later = after_cooldown()

    execute(delivery_claim_next(actor="test", now=later))

    breaker = CircuitBreaker.objects.get(context="tests")
    assert (breaker.state, breaker.consecutive_failures, breaker.open_until) == (BreakerState.CLOSED, 0, None)
    assert JournalEntry.objects.get(step=Step.BREAKER_CLOSED).detail == "probe succeeded"
    assert run_deliveries(now=later) == THRESHOLD - 1
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}


def test_a_successful_probe_makes_the_deliveries_held_behind_the_breaker_due_at_once(
    run_deliveries, django_capture_on_commit_callbacks
):
    # given an open breaker, and a delivery whose probe failed, waiting its turn behind the next probe
    messaging.publish(Flaky(key="k0", fail_times=2))  # the oldest: probed first, fails
    for n in range(1, THRESHOLD):
        messaging.publish(Flaky(key=f"k{n}", fail_times=1))
    assert run_deliveries() == THRESHOLD
    first_probe = after_cooldown()
    execute(delivery_claim_next(actor="test", now=first_probe))
    held = Delivery.objects.order_by("id").first()
    assert held.available_at > timezone.now() + COOLDOWN  # its turn: twice the cool-down away

    # when the next probe, after another cool-down, succeeds
    second_probe = first_probe + COOLDOWN + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        execute(delivery_claim_next(actor="test", now=second_probe))

    # then the held delivery is due now, not after its turn: the context is back, so is its work
    assert CircuitBreaker.objects.get(context="tests").state == BreakerState.CLOSED
    held.refresh_from_db()
    assert held.available_at <= timezone.now()
    run_deliveries()
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}


def test_a_failed_probe_opens_the_breaker_again(run_deliveries):
    trip_breaker(run_deliveries, fail_times=2)
    later = after_cooldown()

    execute(delivery_claim_next(actor="test", now=later))

    breaker = CircuitBreaker.objects.get(context="tests")
    assert breaker.state == BreakerState.OPEN
    assert breaker.open_until > timezone.now() + COOLDOWN / 2
    assert JournalEntry.objects.filter(step=Step.BREAKER_OPENED).count() == 2
    assert sorted(attempts()) == [1] * THRESHOLD  # the context is down: the probe's attempt is given back
    assert "a failed probe of an open breaker is not counted" in (
        JournalEntry.objects.filter(step=Step.RETRY_SCHEDULED).order_by("-seq").first().detail
    )
    assert run_deliveries() == 0


def test_an_outage_longer_than_any_delivery_s_attempts_dead_letters_nothing(run_deliveries):
    trip_breaker(run_deliveries, fail_times=100)
    moment = timezone.now()
    for _ in range(20):  # twenty failed probes: more than any policy's attempts
        moment += COOLDOWN + timedelta(seconds=1)
        execute(delivery_claim_next(actor="test", now=moment))

    assert not Delivery.objects.filter(status=DeliveryStatus.DEAD).exists()
    assert sorted(attempts()) == [1] * THRESHOLD
    assert JournalEntry.objects.filter(step=Step.BREAKER_OPENED).count() == 21


def test_only_the_first_of_two_simultaneous_probe_claims_wins(run_deliveries):
    trip_breaker(run_deliveries, fail_times=1)
    later = after_cooldown()

    # Two workers saw the cool-down end; the compare-and-set lets one through.
    assert [breaker.try_probe("tests", later), breaker.try_probe("tests", later)] == [True, False]


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the one-statement claim leaves the probe a place")
def test_a_due_probe_is_claimed_even_behind_a_backlog_of_other_contexts(run_deliveries, monkeypatch):
    trip_breaker(run_deliveries, fail_times=1)
    listed = ProductListed(
        product_id=1, vendor_id=1, vendor_name="V", product_name="Tea", price="2.50", stock=3, revision=1
    )
    for _ in range(30):
        messaging.publish(listed)
    now = timezone.now()
    Delivery.objects.filter(context="orders").update(available_at=now - timedelta(minutes=1))  # older than the probe
    Delivery.objects.filter(context="tests").update(available_at=now)
    CircuitBreaker.objects.filter(context="tests").update(open_until=now - timedelta(seconds=1))
    monkeypatch.setattr(wakeup, "worker_count", lambda: 1)  # one worker: the claim takes a whole batch

    claims = delivery_claim_batch(actor="test", limit=10)

    assert [c.delivery.context for c in claims if c.probe] == ["tests"]
    assert len([c for c in claims if c.delivery.context == "orders"]) >= 9
