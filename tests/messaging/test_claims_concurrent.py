"""Workers claiming at the same moment on PostgreSQL take disjoint deliveries, and a claim's rules hold among them.

Each worker is a thread with a connection of its own; a barrier releases them together.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

import messaging
from messaging.models import WAITING_STATUSES, BreakerState, CircuitBreaker, Delivery, DeliveryStatus, FaultSetting
from messaging.runtime import faults
from messaging.runtime.claims import delivery_claim_batch, delivery_claim_next
from messaging.runtime.conf import messaging_settings
from tests.testapp.contracts import Positive

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="PostgreSQL's row locks (SKIP LOCKED); SQLite has one writer and claims with a compare-and-set",
    ),
]

WORKERS = 4


def due_deliveries(count: int) -> set[int]:
    with transaction.atomic():
        for number in range(1, count + 1):
            messaging.publish(Positive(number=number))
    return set(Delivery.objects.values_list("pk", flat=True))


def in_threads(work, workers: int = WORKERS) -> list:
    """Run ``work(i, barrier)`` for each worker in a thread of its own; returns what each returned."""
    barrier = threading.Barrier(workers)

    def run(i):
        try:
            return work(i, barrier)
        finally:
            connection.close()  # the thread's own connection

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(run, range(workers)))


def test_workers_claiming_at_the_same_moment_each_take_another_delivery_none_twice_none_left():
    rounds = 10
    due = due_deliveries(WORKERS * rounds)

    def work(i, barrier):
        taken = []
        for _ in range(rounds):
            barrier.wait(timeout=30)
            claim = delivery_claim_next(actor=f"worker:{i}")
            taken.append(claim.delivery.pk if claim else None)
        return taken

    taken = [pk for worker in in_threads(work) for pk in worker]

    assert None not in taken  # nobody came back empty while deliveries were due
    assert len(taken) == len(set(taken))  # none twice
    assert set(taken) == due
    assert not Delivery.objects.filter(status__in=WAITING_STATUSES).exists()  # none left
    assert set(Delivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.RUNNING, 1)}


def test_workers_draining_at_the_same_moment_share_the_backlog_none_twice_none_left():
    due = due_deliveries(120)
    batch = messaging_settings().claim_batch

    def work(i, barrier):
        batches = []
        barrier.wait(timeout=30)
        while claims := delivery_claim_batch(actor=f"worker:{i}"):
            batches.append([claim.delivery.pk for claim in claims])
            assert len({claim.token for claim in claims}) == 1  # one lease token per batch
        return batches

    workers = in_threads(work)

    assert all(len(batches[0]) == batch for batches in workers)  # each started with a full batch of its own
    taken = [pk for batches in workers for claims in batches for pk in claims]
    assert len(taken) == len(set(taken))
    assert set(taken) == due
    assert not Delivery.objects.filter(status__in=WAITING_STATUSES).exists()


def test_workers_claiming_at_the_same_moment_let_one_probe_through_an_open_breaker():
    due_deliveries(WORKERS * 3)
    CircuitBreaker.objects.create(
        context="tests",
        state=BreakerState.OPEN,
        consecutive_failures=5,
        open_until=timezone.now() - timedelta(seconds=1),
    )

    def work(i, barrier):
        barrier.wait(timeout=30)
        return delivery_claim_batch(actor=f"worker:{i}")

    claims = [claim for batch in in_threads(work) for claim in batch]

    assert [claim.probe for claim in claims] == [True]
    assert Delivery.objects.filter(status=DeliveryStatus.RUNNING).count() == 1
    assert CircuitBreaker.objects.get().state == BreakerState.HALF_OPEN


def test_workers_claiming_at_the_same_moment_hold_no_more_of_a_slow_context_than_its_share():
    due_deliveries(WORKERS * 3)
    FaultSetting.objects.create(context="tests", latency_ms=100)

    with override_settings(Q_CLUSTER={"workers": WORKERS}):

        def work(i, barrier):
            barrier.wait(timeout=30)
            return delivery_claim_batch(actor=f"worker:{i}")

        claims = [claim for batch in in_threads(work) for claim in batch]

    share = faults.slow_context_workers(WORKERS)
    assert 1 <= len(claims) <= share
    assert Delivery.objects.filter(status=DeliveryStatus.RUNNING).count() == len(claims)
