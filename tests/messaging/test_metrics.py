"""Metrics recorded by the processes that write and run messages, read back through a scrape.

In-process first (the bus run synchronously, commits captured), then against a real qcluster whose workers
record into the files this test process scrapes. Counts are compared with a scrape taken before: the
files are the test run's, shared by its tests.
"""

import contextlib
import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

import messaging
from messaging import controls
from messaging.models import BreakerState, CircuitBreaker, Delivery, DeliveryStatus
from messaging.processes import sweeper
from messaging.runtime import clock, worker
from messaging.runtime.claims import delivery_claim_batch
from tests.messaging.metrics_helpers import RECORDING_ENV, TOKEN, scrape
from tests.processes import cluster_started, wait_until
from tests.testapp.contracts import DoWork, Flaky, Ping, Positive, Rejected, Slow

SENT = "messaging_client_sent_messages_total"
ATTEMPTS = "messaging_delivery_attempts_total"
DURATION = "messaging_process_duration_seconds"
HANDLED = "messaging_publish_to_handled_seconds"


@pytest.fixture
def recording(settings):
    """This process records metrics, as one with METRICS_TOKEN set does."""
    settings.METRICS_TOKEN = TOKEN


# --- in-process ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_message_counts_as_sent_once_its_transaction_commits_and_never_if_it_rolls_back(
    recording, django_capture_on_commit_callbacks
):
    before = scrape()

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            messaging.publish(Ping(key="kept"))
            messaging.send(DoWork(key="kept"))
        assert scrape().gained(before, SENT, kind="event", type="tests.Ping", context="tests") == 0  # not yet
        with contextlib.suppress(RuntimeError), transaction.atomic():
            messaging.publish(Ping(key="rolled back"))
            raise RuntimeError("the service failed after publishing")

    after = scrape()
    assert after.gained(before, SENT, kind="event", type="tests.Ping", context="tests") == 1
    assert after.gained(before, SENT, kind="command", type="tests.DoWork", context="tests") == 1


@pytest.mark.django_db
def test_nothing_is_recorded_without_a_token(settings, django_capture_on_commit_callbacks, run_deliveries):
    settings.METRICS_TOKEN = ""
    before = scrape()

    with django_capture_on_commit_callbacks(execute=True):
        messaging.publish(Positive(number=1))
        run_deliveries()

    after = scrape()
    assert after.gained(before, SENT, kind="event", type="tests.Positive", context="tests") == 0
    assert after.gained(before, ATTEMPTS, handler="tests.positive", outcome="succeeded") == 0


@pytest.mark.django_db
def test_each_attempt_counts_by_how_it_ended_with_its_handling_time(
    recording, django_capture_on_commit_callbacks, run_deliveries
):
    before = scrape()

    with django_capture_on_commit_callbacks(execute=True):
        messaging.publish(Ping(key="p"))
        messaging.publish(Flaky(key="f", fail_times=1))  # fails once, then succeeds
        messaging.publish(Rejected(key="r"))  # a permanent error: dead-lettered at once
        messaging.publish(Slow(key="s", seconds=1.5))  # past its 1 s timeout once, then quick
        run_deliveries()

    after = scrape()
    counted = {
        (handler, outcome): after.gained(before, ATTEMPTS, handler=handler, outcome=outcome)
        for handler in ("tests.ping_a", "tests.flaky", "tests.rejected", "tests.slow")
        for outcome in ("succeeded", "failed", "timed_out", "dead_lettered", "discarded")
    }
    assert {key: n for key, n in counted.items() if n} == {
        ("tests.ping_a", "succeeded"): 1,
        ("tests.flaky", "failed"): 1,
        ("tests.flaky", "succeeded"): 1,
        ("tests.rejected", "dead_lettered"): 1,
        ("tests.slow", "timed_out"): 1,
        ("tests.slow", "succeeded"): 1,
    }
    timed_out = {"handler": "tests.slow", "outcome": "timed_out"}
    assert after.gained(before, f"{DURATION}_count", **timed_out) == 1
    assert after.gained(before, f"{DURATION}_bucket", le="0.5", **timed_out) == 0
    assert after.gained(before, f"{DURATION}_bucket", le="2.5", **timed_out) == 1
    assert 1.0 <= after.gained(before, f"{DURATION}_sum", **timed_out) < 2.5
    for handler in ("tests.ping_a", "tests.flaky", "tests.slow"):
        assert after.gained(before, f"{HANDLED}_count", handler=handler) == 1
    assert after.gained(before, f"{HANDLED}_count", handler="tests.rejected") == 0  # handled never


@pytest.mark.django_db
def test_an_attempt_whose_lease_was_taken_over_counts_as_discarded(recording, django_capture_on_commit_callbacks):
    messaging.publish(Positive(number=1))
    before = scrape()
    claims = delivery_claim_batch(actor="worker:1")
    Delivery.objects.update(lease_token=uuid.uuid4())  # another worker re-claimed it meanwhile

    with django_capture_on_commit_callbacks(execute=True):
        worker.execute_batch(claims)

    after = scrape()
    assert after.gained(before, ATTEMPTS, handler="tests.positive", outcome="discarded") == 1
    assert after.gained(before, ATTEMPTS, handler="tests.positive", outcome="succeeded") == 0


@pytest.mark.django_db
def test_the_sweeper_counts_the_attempt_of_a_worker_that_died_as_abandoned(
    recording, django_capture_on_commit_callbacks
):
    messaging.publish(Flaky(key="f", fail_times=0))
    delivery_claim_batch(actor="worker:gone")  # leased, and its worker never comes back
    before = scrape()

    with django_capture_on_commit_callbacks(execute=True):
        sweeper.sweep(now=clock.now() + timedelta(minutes=10))  # long after the lease expired

    assert Delivery.objects.get().status == DeliveryStatus.FAILED
    assert scrape().gained(before, ATTEMPTS, handler="tests.flaky", outcome="abandoned") == 1


# --- a real cluster -----------------------------------------------------------------------------------------


@pytest.fixture
def recording_cluster(transactional_db, recording, tmp_path):
    """A real qcluster whose workers record metrics (METRICS_TOKEN set) into this test run's files."""
    cluster = cluster_started(log=tmp_path / "qcluster.log", env=RECORDING_ENV)
    yield cluster
    cluster.stop()
    print(cluster.output()[-5000:])


@pytest.mark.cluster
def test_a_scrape_shows_what_this_process_wrote_what_the_workers_ran_and_the_database_holds(recording_cluster, client):
    before = scrape(client)
    # given a paused handler and another context's open breaker
    controls.handler_pause(handler="tests.ping_b", actor="test")
    CircuitBreaker.objects.create(
        context="vendors",
        state=BreakerState.OPEN,
        consecutive_failures=5,
        open_until=timezone.now() + timedelta(hours=1),
    )

    # when this process publishes and the cluster's workers run the deliveries
    with transaction.atomic():
        messaging.publish(Ping(key="now"))  # ping_a runs it; ping_b, paused, leaves it due
        messaging.publish(Ping(key="later"), delay=3600)
        messaging.publish(Flaky(key="f", fail_times=1))
        messaging.publish(Rejected(key="r"))
        messaging.publish(Slow(key="s", seconds=1.5))

    def ran_all():
        seen = scrape(client)
        attempts = [
            seen.gained(before, ATTEMPTS, handler="tests.ping_a", outcome="succeeded"),
            seen.gained(before, ATTEMPTS, handler="tests.flaky", outcome="succeeded"),
            seen.gained(before, ATTEMPTS, handler="tests.rejected", outcome="dead_lettered"),
            seen.gained(before, ATTEMPTS, handler="tests.slow", outcome="succeeded"),
        ]
        return seen if all(attempts) else None

    after = wait_until(ran_all, timeout=30, interval=0.2, message="the workers' attempts in a scrape")

    # then the counters add up this process's writes and the workers' attempts
    assert after.gained(before, SENT, kind="event", type="tests.Ping", context="tests") == 2
    for message_type in ("tests.Flaky", "tests.Rejected", "tests.Slow"):
        assert after.gained(before, SENT, kind="event", type=message_type, context="tests") == 1
    assert after.gained(before, ATTEMPTS, handler="tests.flaky", outcome="failed") == 1
    assert after.gained(before, ATTEMPTS, handler="tests.slow", outcome="timed_out") == 1
    assert after.gained(before, ATTEMPTS, handler="tests.ping_b", outcome="succeeded") == 0
    timed_out = {"handler": "tests.slow", "outcome": "timed_out"}
    assert after.gained(before, f"{DURATION}_bucket", le="0.5", **timed_out) == 0
    assert after.gained(before, f"{DURATION}_bucket", le="2.5", **timed_out) == 1
    assert after.gained(before, f"{DURATION}_bucket", le="+Inf", **timed_out) == 1
    assert after.gained(before, f"{HANDLED}_count", handler="tests.ping_a") == 1
    # and the gauges are the database's
    assert {state: after.value("messaging_deliveries", state=state) for state in _STATES} == {
        "due": 1,  # ping_b's, paused
        "delayed": 2,
        "in_progress": 0,
        "retry_scheduled": 0,
    }
    assert after.value("messaging_oldest_due_delivery_age_seconds") == 0  # a paused handler's waits by choice
    assert after.value("messaging_dead_letters", handler="tests.rejected") == 1
    assert after.value("messaging_dead_letters", handler="tests.flaky") == 0
    assert after.value("messaging_breaker_state", context="vendors", state="open") == 1
    assert after.value("messaging_breaker_state", context="vendors", state="closed") == 0
    assert after.value("messaging_breaker_state", context="tests", state="closed") == 1
    assert after.value("messaging_handler_paused", handler="tests.ping_b") == 1
    assert after.value("messaging_handler_paused", handler="tests.ping_a") == 0
    # and every family is named as Prometheus names them
    assert {name: after.families[name].type for name in _FAMILIES} == _FAMILIES
    for counter in ("messaging_client_sent_messages", "messaging_delivery_attempts"):
        assert {sample.name for sample in after.families[counter].samples} == {f"{counter}_total"}


_STATES = ("due", "delayed", "in_progress", "retry_scheduled")
_FAMILIES = {  # as Prometheus' parser names a family: a counter without its _total
    "messaging_client_sent_messages": "counter",
    "messaging_delivery_attempts": "counter",
    "messaging_process_duration_seconds": "histogram",
    "messaging_publish_to_handled_seconds": "histogram",
    "messaging_deliveries": "gauge",
    "messaging_oldest_due_delivery_age_seconds": "gauge",
    "messaging_dead_letters": "gauge",
    "messaging_breaker_state": "gauge",
    "messaging_handler_paused": "gauge",
}
