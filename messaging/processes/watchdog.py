"""Watching the workers from outside: what a sweeper does besides sweeping.

A cluster's supervisor heals what it can see (``messaging.processes.supervisor``); this
sees what a supervisor cannot, from the heartbeats every messaging process
writes and from the delivery rows themselves:

- a process whose heartbeat is older than ``silent_after`` seconds is declared
  silent (killed, frozen, cut off from the database): journaled as
  ``cluster_silent`` for a cluster, shown by ``messaging_status`` and the
  dashboard's health page;
- due work older than ``stall_after`` seconds, with no live cluster busy or
  taking a task for as long, is a stall: journaled once as ``stalled``, and the
  sweeper runs the due deliveries itself, a budget at a time, until a cluster
  takes work again (journaled as ``recovered``).

Each state change is a compare-and-set on its row, so with several sweepers
each is made, and journaled, once. Its ``now`` is the database's clock, the one
due times are written on, so a sweeper on a host whose clock is off sees the
same overdue work as the workers.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q

from messaging.models import ProcessHeartbeat, ProcessKind, ProcessState, Step, WatchdogState
from messaging.runtime import clock, journal
from messaging.runtime.claims import due_deliveries
from messaging.runtime.conf import messaging_settings

logger = logging.getLogger(__name__)

LIVE_STATES = (ProcessState.STARTING, ProcessState.RUNNING, ProcessState.RESTARTING, ProcessState.STOPPING)
FORGET_AFTER = timedelta(days=1)  # stopped or silent processes are listed this long, then forgotten


@dataclass(frozen=True)
class Watch:
    silenced: int  # processes newly declared silent
    stalled: bool  # due work that no cluster is taking: the sweeper should run it


def watch(*, actor: str, now=None) -> Watch:
    now = now or clock.now()
    silenced = processes_silence(now, actor=actor)
    stalled = stall_check(now, actor=actor)
    gone = (ProcessState.STOPPED, ProcessState.SILENT)
    ProcessHeartbeat.objects.filter(state__in=gone, beat_at__lt=now - FORGET_AFTER).delete()
    return Watch(silenced=silenced, stalled=stalled)


def live_processes(now, kind: str | None = None):
    """Processes that say they run and beat recently enough (a queryset)."""
    fresh = now - timedelta(seconds=messaging_settings().silent_after)
    rows = ProcessHeartbeat.objects.filter(state__in=LIVE_STATES, beat_at__gte=fresh)
    return rows.filter(kind=kind) if kind else rows


def processes_silence(now, *, actor: str) -> int:
    silent_after = messaging_settings().silent_after
    silenced = 0
    stale = ProcessHeartbeat.objects.filter(state__in=LIVE_STATES, beat_at__lt=now - timedelta(seconds=silent_after))
    for process in stale:
        quiet = (now - process.beat_at).total_seconds()
        who = f"{process.kind} {process.host}:{process.pid}"
        detail = f"{who} has been silent for {quiet:.0f}s (killed, frozen or cut off from the database)"
        with transaction.atomic():
            if not ProcessHeartbeat.objects.filter(pk=process.pk, state=process.state, beat_at=process.beat_at).update(
                state=ProcessState.SILENT, detail=detail
            ):
                continue  # it beat again, or another sweeper said it first
            if process.kind == ProcessKind.CLUSTER:
                journal.record(Step.CLUSTER_SILENT, actor=actor, detail=detail)
        logger.warning("%s", detail)
        silenced += 1
    return silenced


def stall_check(now, *, actor: str) -> bool:
    """Whether due work waits that no cluster is taking; journals the change either way, once."""
    settings = messaging_settings()
    horizon = now - timedelta(seconds=settings.stall_after)
    overdue = due_deliveries(horizon).exists()
    working = live_processes(now, ProcessKind.CLUSTER).filter(Q(busy__gt=0) | Q(last_task_at__gte=horizon)).exists()
    stalled = overdue and not working
    state, _ = WatchdogState.objects.get_or_create(pk=1)
    if stalled and state.stalled_since is None:
        clusters = live_processes(now, ProcessKind.CLUSTER).count()
        detail = (
            f"deliveries due for over {settings.stall_after:g}s and no worker took a task meanwhile "
            f"({clusters} live cluster(s)): the sweeper runs them until workers are back"
        )
        _change(stalled_since=now, detail=detail, expected_since=None, step=Step.STALLED, actor=actor)
    elif not stalled and state.stalled_since is not None:
        lasted = (now - state.stalled_since).total_seconds()
        detail = f"workers take work again after a {lasted:.0f}s stall" if working else "nothing is overdue any more"
        _change(stalled_since=None, detail=detail, expected_since=state.stalled_since, step=Step.RECOVERED, actor=actor)
    return stalled


def _change(*, stalled_since, detail: str, expected_since, step: str, actor: str) -> None:
    with transaction.atomic():
        if WatchdogState.objects.filter(pk=1, stalled_since=expected_since).update(
            stalled_since=stalled_since, detail=detail
        ):
            journal.record(step, actor=actor, detail=detail)
            logger.warning("%s", detail)
