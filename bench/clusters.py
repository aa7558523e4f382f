"""Throughput through one or more ``qcluster`` processes at once. Import after ``django.setup()``.

The same two drains as ``bench/phases.py`` (everything queued first, then the
clusters start; the clock runs from the first no-op execution to the moment
this process sees the work done), with any number of clusters started
together on the one database. The workers per cluster come from ``Q_WORKERS``,
which every process reads: the clusters and this one (whose ``wake()`` queues
at most that many wake-ups, as a web process would).
"""

import os
import time

from django.conf import settings
from django.db import transaction
from django_q.brokers import get_broker
from django_q.models import OrmQ
from django_q.tasks import async_task

from bench.benchapp.contracts import BenchPinged
from bench.benchapp.handlers import HANDLED
from bench.benchapp.tasks import NOOP, NOOP_TASK
from bench.cluster import Cluster, _children_cpu, wait_until
from bench.phases import Throughput, _result
from messaging import publish
from messaging.models import Delivery, DeliveryStatus, JournalEntry, Step


class Clusters:
    """Several clusters started and stopped together, read as one by ``wait_until`` and ``_result``."""

    def __init__(self, logs):
        self.members = [Cluster(log) for log in logs]
        self.started_at = 0.0
        self.cpu_seconds = 0.0  # all of them, start-up included

    def start(self) -> "Clusters":
        self._cpu_before = _children_cpu()
        for member in self.members:
            member.start()
        self.started_at = self.members[0].started_at
        return self

    def check_alive(self) -> None:
        for member in self.members:
            member.check_alive()

    def stop(self) -> None:
        for member in self.members:
            member.stop()
        self.cpu_seconds = _children_cpu() - self._cpu_before

    def tail(self, chars: int = 3000) -> str:
        return "\n".join(f"--- {member.log.name} ---\n{member.tail(chars)}" for member in self.members)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def workers_set(workers: int) -> None:
    """Workers per cluster, for the clusters started from now on and for this process's wake-ups."""
    os.environ["Q_WORKERS"] = str(workers)
    settings.Q_CLUSTER["workers"] = workers


def drain_raw(env, n: int, timeout: float, clusters: int) -> Throughput:
    """N no-op django-q2 tasks (ORM broker), drained until the broker table is empty."""
    env.reset()
    started = time.perf_counter()
    broker = get_broker()
    with transaction.atomic():
        for seq in range(n):
            async_task(NOOP_TASK, seq, broker=broker, task_name=f"noop {seq}")
    enqueue_seconds = time.perf_counter() - started
    with _clusters(env, "raw", clusters) as group:
        _, done = wait_until(lambda: OrmQ.objects.count() == 0, cluster=group, timeout=timeout, what="empty queue")
    return _result("a raw django-q2", NOOP, n, done, group, enqueue_seconds)


def drain_messaging(env, n: int, timeout: float, clusters: int) -> Throughput:
    """N events, one no-op subscriber each, drained until every delivery succeeded.

    Notes how many worker processes ran a delivery (from the journal's actors):
    the queued wake-ups, not the clusters started, decide how many take part.
    """
    env.reset()
    started = time.perf_counter()
    for seq in range(n):
        with transaction.atomic():  # one business transaction per event, as services publish
            publish(BenchPinged(seq=seq))
    enqueue_seconds = time.perf_counter() - started
    succeeded = Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED)
    with _clusters(env, "messaging", clusters) as group:
        _, done = wait_until(lambda: succeeded.count() == n, cluster=group, timeout=timeout, what="deliveries")
        left = OrmQ.objects.count()
    result = _result("b messaging", HANDLED, n, done, group, enqueue_seconds)
    actors = JournalEntry.objects.filter(step=Step.SUCCEEDED).values("actor").distinct().count()
    result.notes["worker processes that ran deliveries"] = actors
    result.notes["wake-ups still queued at the end"] = left
    return result


def _clusters(env, name: str, count: int) -> Clusters:
    return Clusters([env.dir / f"qcluster-{name}-{index}.log" for index in range(count)])
