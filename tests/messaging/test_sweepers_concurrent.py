"""Several sweepers at the same moment, as on several hosts: each repair is made, and journaled, once.

Each sweeper is ``messaging_sweeper --once`` in a process of its own (forked, with a connection of its own);
a barrier releases them together, so they all find the same stranded rows, silent clusters and stall.
"""

import io
import multiprocessing
from collections import Counter
from datetime import timedelta

import pytest
from django import db
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

import messaging
from messaging.models import Delivery, DeliveryStatus, JournalEntry, ProcessHeartbeat, ProcessKind, ProcessState, Step
from messaging.processes.heartbeat import Heartbeat
from messaging.runtime.claims import delivery_claim_batch
from tests.testapp.contracts import Positive

pytestmark = pytest.mark.django_db(transaction=True)

SWEEPERS = 3
SILENT_AFTER = timedelta(seconds=settings.MESSAGING["silent_after"])
STALL_AFTER = timedelta(seconds=settings.MESSAGING["stall_after"])


def _sweep_once(barrier) -> None:
    barrier.wait(timeout=30)
    try:
        call_command("messaging_sweeper", "--once", stdout=io.StringIO())
    finally:
        db.connections.close_all()


def sweepers_at_once(count: int = SWEEPERS) -> None:
    """Run ``messaging_sweeper --once`` in ``count`` processes released together; each must succeed."""
    fork = multiprocessing.get_context("fork")
    barrier = fork.Barrier(count)
    db.connections.close_all()  # a child must open its own connection, not share this one
    sweepers = [fork.Process(target=_sweep_once, args=(barrier,), name=f"sweeper {i}") for i in range(count)]
    for sweeper in sweepers:
        sweeper.start()
    for sweeper in sweepers:
        sweeper.join(timeout=90)
        if sweeper.is_alive():
            sweeper.kill()  # hung: fails below rather than outliving the test
    assert [sweeper.exitcode for sweeper in sweepers] == [0] * count  # a failing one printed its traceback


def published(count: int) -> list[int]:
    with transaction.atomic():
        for number in range(1, count + 1):
            messaging.publish(Positive(number=number))
    return sorted(Delivery.objects.values_list("pk", flat=True))


def stranded_deliveries(count: int) -> list[int]:
    """Deliveries claimed by workers that then died: a third of the leases ran out, a third of the rows
    lost their lease token and a third got a lease days ahead (rows edited by hand)."""
    pks = published(count)
    while delivery_claim_batch(actor="worker:gone"):
        pass
    now = timezone.now()
    Delivery.objects.filter(pk__in=pks[0::3]).update(lease_expires_at=now - timedelta(minutes=1))
    Delivery.objects.filter(pk__in=pks[1::3]).update(lease_token=None)
    Delivery.objects.filter(pk__in=pks[2::3]).update(lease_expires_at=now + timedelta(days=3))
    assert set(Delivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.RUNNING, 1)}
    return pks


def cluster(pid: int, *, beat_ago=timedelta(0), last_task_ago=None) -> ProcessHeartbeat:
    heartbeat = Heartbeat(ProcessKind.CLUSTER)
    now = timezone.now()
    heartbeat.beat(ProcessState.RUNNING, workers=2, last_task_at=now - last_task_ago if last_task_ago else None)
    ProcessHeartbeat.objects.filter(pk=heartbeat.id).update(beat_at=now - beat_ago, pid=pid)
    return ProcessHeartbeat.objects.get(pk=heartbeat.id)


def journaled(step: str, deliveries) -> Counter:
    """How many of ``deliveries`` were journaled with ``step`` once, twice...: ``{1: len(deliveries)}`` if each once."""
    each = Counter(JournalEntry.objects.filter(step=step).values_list("message_id", "handler"))
    assert set(each) == {(d.message_id, d.handler) for d in deliveries}
    return Counter(each.values())


def test_sweepers_at_the_same_moment_settle_each_stranded_delivery_once():
    pks = stranded_deliveries(150)

    sweepers_at_once()

    deliveries = Delivery.objects.filter(pk__in=pks)
    assert set(deliveries.values_list("status", "attempts", "lease_token")) == {(DeliveryStatus.FAILED, 1, None)}
    assert journaled(Step.FAILED, deliveries) == {1: len(pks)}
    assert journaled(Step.RETRY_SCHEDULED, deliveries) == {1: len(pks)}
    assert set(JournalEntry.objects.filter(step=Step.FAILED).values_list("actor", flat=True)) == {"sweeper"}
    retries = JournalEntry.objects.filter(step=Step.RETRY_SCHEDULED).values_list("detail", flat=True)
    assert all(detail.startswith("attempt 2 of ") for detail in retries)  # the lost attempt counted once


def test_sweepers_at_the_same_moment_declare_each_silent_cluster_once_and_run_stalled_work_once():
    silent = [cluster(40_000 + n, beat_ago=SILENT_AFTER + timedelta(seconds=1)) for n in range(30)]
    cluster(50_000, last_task_ago=timedelta(minutes=5))  # alive, yet taking nothing: the work below stalls
    pks = published(30)
    Delivery.objects.filter(pk__in=pks).update(available_at=timezone.now() - STALL_AFTER - timedelta(seconds=1))

    sweepers_at_once()

    states = ProcessHeartbeat.objects.filter(pk__in=[c.pk for c in silent]).values_list("state", flat=True)
    assert set(states) == {ProcessState.SILENT}
    said = JournalEntry.objects.filter(step=Step.CLUSTER_SILENT).values_list("detail", flat=True)
    declared = Counter(int(detail.split(":")[1].split()[0]) for detail in said)  # "cluster host:pid has been..."
    assert set(declared) == {c.pid for c in silent}  # the live cluster is not declared
    assert Counter(declared.values()) == {1: len(silent)}  # how many were declared once, twice...
    assert JournalEntry.objects.filter(step=Step.STALLED).count() == 1
    deliveries = Delivery.objects.filter(pk__in=pks)
    assert set(deliveries.values_list("status", "attempts")) == {(DeliveryStatus.SUCCEEDED, 1)}
    assert journaled(Step.SUCCEEDED, deliveries) == {1: len(pks)}
    assert not JournalEntry.objects.filter(step=Step.FAILED).exists()
