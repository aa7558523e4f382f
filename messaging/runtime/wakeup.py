"""Wakes django-q2 workers. A task carries no work, only the news that some is due.

The delivery rows are the queue; a wake-up task that finds nothing to do is
cheap, and one that is lost is made good by the sweeper.

Every cluster sharing the broker takes wake-ups from it, so a burst wakes as
many workers as the live clusters have between them, read from their
heartbeats every few seconds (``LIVE_WORKERS_LIFETIME``), not per publish.
"""

import os
from datetime import timedelta
from functools import cache
from time import monotonic

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.brokers.orm import ORM
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.tasks import async_task

from messaging.models import ProcessHeartbeat, ProcessKind, ProcessState
from messaging.runtime import clock
from messaging.runtime.conf import messaging_settings

RUN_DUE_DELIVERIES = "messaging.runtime.worker.run_due_deliveries"
LIVE_WORKERS_LIFETIME = 5.0  # seconds a count of the live clusters' workers serves before it is read again
TAKING_WORK = (ProcessState.STARTING, ProcessState.RUNNING, ProcessState.RESTARTING)  # a stopping one takes none

_live_workers: tuple[float, int] | None = None  # (this host's monotonic clock, the count) at the last count


@cache
def _broker_for(pid: int):
    # One broker (one Redis connection) per process, re-made after a fork.
    return get_broker()


def broker():
    return _broker_for(os.getpid())


def worker_count() -> int:
    """This process's cluster's workers, as configured."""
    return int(settings.Q_CLUSTER.get("workers", 1))


def live_worker_count() -> int:
    """The workers of every live cluster, as their heartbeats last said, counted at most every few seconds.

    Never fewer than ``worker_count()``: before any cluster has said how many it runs (one just started, or
    none is supervised, as in tests), one cluster like this process's is assumed.
    """
    global _live_workers
    counted = _live_workers
    if counted is None or monotonic() - counted[0] > LIVE_WORKERS_LIFETIME:
        counted = _live_workers = (monotonic(), _live_cluster_workers())
    return max(worker_count(), counted[1])


def live_worker_count_forget() -> None:
    """Count again at the next wake-up (the heartbeats just changed, as in tests)."""
    global _live_workers
    _live_workers = None


def _live_cluster_workers() -> int:
    # Heartbeats older than ``silent_after`` are a cluster gone (or about to be declared silent by a sweeper),
    # judged on the database's clock as the watchdog judges them.
    fresh = clock.recent().now() - timedelta(seconds=messaging_settings().silent_after)
    clusters = ProcessHeartbeat.objects.filter(kind=ProcessKind.CLUSTER, state__in=TAKING_WORK, beat_at__gte=fresh)
    return clusters.aggregate(workers=Sum("workers"))["workers"] or 0


def wake(deliveries: int = 1) -> int:
    """Enqueue enough wake-ups for ``deliveries`` to run in parallel; returns how many.

    A wake-up still waiting in the broker will start after this call, hence
    after the caller's commit, and drain everything due by then: so only the
    shortfall is enqueued. (This counts every waiting task of the queue, which
    the project reserves for messaging; were it shared, a delivery could wait
    for the sweeper, never longer.)
    """
    wanted = max(1, min(deliveries, live_worker_count()))
    tasks = wanted - queued_wakeups()
    for _ in range(tasks):
        async_task(RUN_DUE_DELIVERIES, broker=broker(), task_name="messaging wake-up")
    return tasks


def wake_on_commit(deliveries: int) -> None:
    # robust: a broker hiccup after commit must not fail the caller; the sweeper
    # wakes the workers for any delivery whose wake-up was lost.
    transaction.on_commit(lambda: wake(deliveries), robust=True)


def queued_wakeups() -> int:
    """Tasks waiting in the broker, not yet taken by a worker."""
    if not queue_in_this_database():
        return broker().queue_size() or 0
    sql, params = waiting_statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def queue_in_this_database() -> bool:
    """Whether the broker's queue is a table of the messages' database (the ORM broker on it)."""
    return Conf.ORM == DEFAULT_DB_ALIAS and isinstance(broker(), ORM)


def waiting_statement() -> tuple[str, list]:
    """The ORM broker's ``queue_size()`` as one plain statement: its query, without the ORM building it each time.

    It is counted at every publish, where building the query took longer than running it.
    """
    quote = connection.ops.quote_name
    table, key, lock = quote(OrmQ._meta.db_table), quote("key"), quote("lock")
    return f"SELECT COUNT(*) FROM {table} WHERE {key} = %s AND {lock} <= %s", [broker().list_key, timezone.now()]
