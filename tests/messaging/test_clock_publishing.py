"""Publishing, a worker's hand-over and its breaker read the database's clock: a host whose clock is off still
agrees with the claims of every other host."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection  # noqa: F401 (read by the skipif condition)
from django.test import override_settings
from django.utils import timezone
from django_q.models import OrmQ

import messaging
from messaging.models import Delivery, DeliveryStatus
from messaging.runtime import clock, worker
from messaging.runtime.claims import delivery_claim_batch, delivery_claim_next
from tests.testapp.contracts import DoWork, Flaky, Ping, Positive

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="on SQLite the database's clock is the host's"),
]

SKEW = timedelta(minutes=10)
THRESHOLD = settings.MESSAGING["breaker_threshold"]
skews = pytest.mark.parametrize("skew", [SKEW, -SKEW], ids=["ahead", "behind"])


@pytest.fixture
def host_clock(monkeypatch):
    """Set this host's clock off the true time by some amount (``host_clock(None)``: back to the truth)."""
    true_now = timezone.now

    def skew(by: timedelta | None):
        monkeypatch.setattr(timezone, "now", true_now if by is None else lambda: true_now() + by)

    return skew


@skews
def test_a_message_published_by_a_host_whose_clock_is_off_is_due_at_once_by_the_database(host_clock, skew):
    before = clock.now()
    host_clock(skew)

    messaging.publish(Positive(number=1))

    host_clock(None)
    assert before - timedelta(seconds=1) <= Delivery.objects.get().available_at <= clock.now()
    assert delivery_claim_next(actor="worker:1") is not None


def test_deliveries_published_by_hosts_whose_clocks_disagree_are_claimed_in_the_order_they_were_published(host_clock):
    first = messaging.publish(Positive(number=1))
    host_clock(-SKEW)
    messaging.publish(Positive(number=2))
    host_clock(None)

    assert delivery_claim_next(actor="worker:1").delivery.message_id == first


@skews
def test_a_delay_counts_from_the_database_s_clock_not_the_publishing_host_s(host_clock, skew):
    host_clock(skew)
    messaging.publish(Positive(number=1), delay=timedelta(minutes=5))
    host_clock(None)
    now = clock.now()

    assert delivery_claim_next(actor="worker:1", now=now + timedelta(minutes=4)) is None
    assert delivery_claim_next(actor="worker:1", now=now + timedelta(minutes=5, seconds=1)) is not None


def test_a_moment_given_by_a_host_whose_clock_is_ahead_is_kept_as_given(host_clock):
    due = clock.now() + timedelta(minutes=1)
    host_clock(SKEW)

    messaging.send(DoWork(key="k"), not_before=due)

    host_clock(None)
    assert Delivery.objects.get().available_at == due
    assert delivery_claim_next(actor="worker:1", now=due) is not None


def test_a_worker_whose_clock_is_behind_still_hands_over_work_left_due(host_clock):
    messaging.publish(Ping(key="k"))  # two subscribers: a worker's share of the backlog is one
    host_clock(-SKEW)

    with override_settings(MESSAGING={**settings.MESSAGING, "drain_seconds": 0}):
        assert worker.run_due_deliveries() == 1

    assert OrmQ.objects.count() == 1


def test_a_worker_whose_clock_is_ahead_gives_back_the_rest_of_its_batch_once_the_breaker_opens(host_clock):
    for n in range(THRESHOLD + 2):
        messaging.publish(Flaky(key=f"k{n}", fail_times=1))
    host_clock(SKEW)  # past the breaker's cool-down on this host's clock, not on the database's
    with override_settings(Q_CLUSTER={**settings.Q_CLUSTER, "workers": 1}):  # the whole backlog in one batch
        claims = delivery_claim_batch(actor="worker:ahead", limit=THRESHOLD + 2)
    assert len(claims) == THRESHOLD + 2

    worker.execute_batch(claims)

    attempts = list(Delivery.objects.order_by("id").values_list("status", "attempts"))
    assert attempts == [(DeliveryStatus.FAILED, 1)] * THRESHOLD + [(DeliveryStatus.PENDING, 0)] * 2
