from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from django_q.models import OrmQ

from messaging.models import ProcessHeartbeat, ProcessKind, ProcessState
from messaging.runtime import clock, wakeup

pytestmark = pytest.mark.django_db


def test_a_wake_up_asks_for_one_task_per_worker_at_most():
    assert wakeup.wake(deliveries=50) == wakeup.worker_count() == 2

    assert OrmQ.objects.count() == 2


def test_wake_ups_already_waiting_in_the_broker_are_not_doubled():
    wakeup.wake(deliveries=1)

    assert wakeup.wake(deliveries=1) == 0  # the waiting task will run after this commit anyway
    assert wakeup.wake(deliveries=5) == 1  # only the shortfall
    assert OrmQ.objects.count() == 2


def test_a_wake_up_a_worker_has_taken_no_longer_counts_as_waiting():
    wakeup.wake(deliveries=2)
    taken = OrmQ.objects.first()

    OrmQ.objects.filter(pk=taken.pk).update(lock=timezone.now() + timedelta(seconds=60))  # as a worker leases it

    assert wakeup.queued_wakeups() == 1 == wakeup.broker().queue_size()  # the broker's own count agrees


@pytest.fixture
def clusters():
    """Heartbeats of clusters sharing the broker: ``clusters(workers, beat_ago=...)`` adds one."""
    wakeup.live_worker_count_forget()

    def add(workers: int, *, beat_ago: timedelta = timedelta(0)) -> None:
        now = clock.now()
        ProcessHeartbeat.objects.create(
            kind=ProcessKind.CLUSTER,
            host="host",
            pid=1,
            state=ProcessState.RUNNING,
            started_at=now - timedelta(minutes=1),
            beat_at=now - beat_ago,
            workers=workers,
        )
        wakeup.live_worker_count_forget()

    yield add
    wakeup.live_worker_count_forget()


def test_a_burst_wakes_the_workers_of_every_live_cluster(clusters):
    clusters(2)
    clusters(2)

    assert wakeup.wake(deliveries=50) == 4

    assert OrmQ.objects.count() == 4


@override_settings(Q_CLUSTER={**settings.Q_CLUSTER, "workers": 1})
def test_a_burst_wakes_as_many_workers_as_the_one_live_cluster_has_whatever_this_process_is_set_to(clusters):
    clusters(2)

    assert wakeup.wake(deliveries=50) == 2


@override_settings(Q_CLUSTER={**settings.Q_CLUSTER, "workers": 3})
def test_until_a_cluster_is_heard_from_a_burst_wakes_as_many_workers_as_this_process_is_set_to(clusters):
    assert wakeup.wake(deliveries=50) == 3

    clusters(2)
    clusters(2)

    assert wakeup.wake(deliveries=50) == 1  # four in all: the shortfall


@override_settings(Q_CLUSTER={**settings.Q_CLUSTER, "workers": 1})
def test_a_cluster_whose_heartbeat_is_stale_is_not_counted(clusters):
    silent_after = timedelta(seconds=settings.MESSAGING["silent_after"])
    clusters(2)
    clusters(5, beat_ago=silent_after + timedelta(seconds=1))

    assert wakeup.wake(deliveries=50) == 2


def test_the_live_clusters_are_counted_again_only_after_a_few_seconds(clusters, django_assert_num_queries):
    clusters(2)
    clusters(2)
    assert wakeup.live_worker_count() == 4

    ProcessHeartbeat.objects.all().delete()  # the clusters stopped: the count stands a few seconds more

    with django_assert_num_queries(0):
        assert wakeup.live_worker_count() == 4
