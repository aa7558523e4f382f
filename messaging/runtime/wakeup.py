"""Wakes django-q2 workers. A task carries no work, only the news that some is due.

The delivery rows are the queue; a wake-up task that finds nothing to do is
cheap, and one that is lost is made good by the sweeper.
"""

import os
from functools import cache

from django.conf import settings
from django.db import transaction
from django_q.brokers import get_broker
from django_q.tasks import async_task

RUN_DUE_DELIVERIES = "messaging.runtime.worker.run_due_deliveries"


@cache
def _broker_for(pid: int):
    # One broker (one Redis connection) per process, re-made after a fork.
    return get_broker()


def broker():
    return _broker_for(os.getpid())


def worker_count() -> int:
    return int(settings.Q_CLUSTER.get("workers", 1))


def wake(deliveries: int = 1) -> int:
    """Enqueue enough wake-ups for ``deliveries`` to run in parallel; returns how many.

    A wake-up still waiting in the broker will start after this call, hence
    after the caller's commit, and drain everything due by then: so only the
    shortfall is enqueued. (This counts every waiting task of the queue, which
    the project reserves for messaging; were it shared, a delivery could wait
    for the sweeper, never longer.)
    """
    wanted = max(1, min(deliveries, worker_count()))
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
    return broker().queue_size() or 0
