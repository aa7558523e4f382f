"""The watchdog, from outside the workers: silent processes, and due work that nothing runs."""

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

import messaging
from messaging.models import (
    Delivery,
    DeliveryStatus,
    JournalEntry,
    ProcessHeartbeat,
    ProcessKind,
    ProcessState,
    Step,
    WatchdogState,
)
from messaging.processes import watchdog
from messaging.processes.heartbeat import Heartbeat
from tests.messaging.replay_helpers import run_command
from tests.testapp.contracts import Positive
from tests.testapp.models import Effect

pytestmark = pytest.mark.django_db

SILENT_AFTER = timedelta(seconds=settings.MESSAGING["silent_after"])
STALL_AFTER = timedelta(seconds=settings.MESSAGING["stall_after"])


def cluster(*, beat_ago=timedelta(0), busy=0, last_task_ago=None, state=ProcessState.RUNNING) -> ProcessHeartbeat:
    heartbeat = Heartbeat(ProcessKind.CLUSTER)
    now = timezone.now()
    heartbeat.beat(state, workers=2, busy=busy, last_task_at=now - last_task_ago if last_task_ago else None)
    ProcessHeartbeat.objects.filter(pk=heartbeat.id).update(beat_at=now - beat_ago)
    return ProcessHeartbeat.objects.get(pk=heartbeat.id)


def overdue_delivery(by=STALL_AFTER + timedelta(seconds=1)):
    message_id = messaging.publish(Positive(number=1))
    Delivery.objects.filter(message_id=message_id).update(available_at=timezone.now() - by)
    return message_id


def test_a_cluster_whose_heartbeats_stopped_is_declared_silent_once():
    gone = cluster(beat_ago=SILENT_AFTER + timedelta(seconds=1))
    alive = cluster()

    assert watchdog.watch(actor="sweeper").silenced == 1
    assert watchdog.watch(actor="sweeper").silenced == 0  # said once, whoever asks again

    assert ProcessHeartbeat.objects.get(pk=gone.pk).state == ProcessState.SILENT
    assert ProcessHeartbeat.objects.get(pk=alive.pk).state == ProcessState.RUNNING
    (entry,) = JournalEntry.objects.filter(step=Step.CLUSTER_SILENT)
    assert f"cluster {gone.host}:{gone.pid} has been silent for" in entry.detail
    status = json.loads(run_command("messaging_status", "--json"))
    assert {(p["pid"], p["state"], p["live"]) for p in status["processes"]} == {
        (gone.pid, "silent", False),
        (alive.pid, "running", True),
    }


def test_due_work_that_no_cluster_takes_is_a_stall_the_sweeper_runs_itself_then_recovers():
    message_id = overdue_delivery()
    cluster(last_task_ago=timedelta(minutes=5))  # alive, yet nothing taken for minutes: wedged

    run_command("messaging_sweeper", "--once")

    assert Delivery.objects.get(message_id=message_id).status == DeliveryStatus.SUCCEEDED
    assert list(Effect.objects.values_list("handler", flat=True)) == ["positive"]
    ran_by = JournalEntry.objects.get(message_id=message_id, step=Step.SUCCEEDED).actor
    assert ran_by == "sweeper"
    (stalled,) = JournalEntry.objects.filter(step=Step.STALLED)
    assert "no worker took a task" in stalled.detail
    assert WatchdogState.objects.get().stalled_since is not None
    assert "Watchdog: STALLED since" in run_command("messaging_status")

    run_command("messaging_sweeper", "--once")  # nothing overdue any more

    assert WatchdogState.objects.get().stalled_since is None
    assert JournalEntry.objects.filter(step=Step.RECOVERED).count() == 1
    assert JournalEntry.objects.filter(step=Step.STALLED).count() == 1


@pytest.mark.parametrize(
    "working",
    [{"busy": 1}, {"last_task_ago": timedelta(seconds=1)}],
    ids=["a-worker-is-busy", "a-task-was-taken-just-now"],
)
def test_due_work_is_no_stall_while_a_live_cluster_works(working):
    message_id = overdue_delivery()
    cluster(**working)

    assert watchdog.watch(actor="sweeper").stalled is False

    assert Delivery.objects.get(message_id=message_id).status == DeliveryStatus.PENDING
    assert not JournalEntry.objects.filter(step=Step.STALLED).exists()


def test_work_due_only_a_moment_ago_is_no_stall():
    overdue_delivery(by=timedelta(seconds=1))

    assert watchdog.watch(actor="sweeper").stalled is False


def test_a_silent_clusters_busy_workers_do_not_hide_a_stall():
    overdue_delivery()
    cluster(busy=2, beat_ago=SILENT_AFTER + timedelta(seconds=1))  # frozen with work in hand

    assert watchdog.watch(actor="sweeper").stalled is True
