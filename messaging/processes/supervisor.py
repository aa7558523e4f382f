"""Runs a django-q2 cluster under watch: heartbeats, a wedged cluster replaced, an orderly stop.

django-q2 cannot notice its own worst failure: a worker killed while it holds
the task queue's read lock leaves the other workers waiting on that lock for
good, while the cluster still reports itself working (django-q2#23). So
``manage.py qcluster`` runs this supervisor, which starts the cluster
(``messaging.processes.cluster.WatchedSentinel``) in a process group of its own and,
every ``heartbeat_interval`` seconds:

- reads the board the cluster fills: wake-ups waiting in its task queue for
  ``wedge_after`` seconds while every worker is idle, a sentinel that died or
  stopped reporting, mean a wedged cluster: the supervisor kills its process
  group and starts a new one, journaled as ``cluster_restarted``;
- writes its heartbeat (``ProcessHeartbeat``), which sweepers watch from outside;
- sweeps (expired leases, lost wake-ups) every ``sweep_interval``, so a cluster
  heals even with no sweeper running.

SIGTERM or SIGINT, to it or to its whole process group, stops it in order:
workers finish the delivery in hand and give back the rest of their batch, the
cluster stops, and whatever is still running after ``stop_grace`` seconds is
killed (its leases expire and the work runs again, once). Under honcho, which
SIGKILLs 5 s after its SIGTERM, the Procfile asks for a shorter grace. Every database
error is logged, the connection closed and reopened next time: the loop
outlives a database restart.
"""

import logging
import os
import signal
import threading
import time
import uuid
from datetime import UTC, datetime

from django import db
from django.db import transaction

from messaging.models import ProcessKind, ProcessState, Step
from messaging.processes import connections, sweeper
from messaging.processes.cluster import WatchedSentinel
from messaging.processes.heartbeat import Heartbeat
from messaging.runtime import board, journal
from messaging.runtime.conf import messaging_settings

logger = logging.getLogger(__name__)

START_TIMEOUT = 60.0
STALE_REPORT = 10.0  # seconds without a report from a living sentinel: it is stuck
RESTART_BACKOFF_MAX = 30.0


class Supervisor:
    def __init__(self, *, stop_grace: float | None = None):
        self.settings = messaging_settings()
        self.stop_grace = self.settings.stop_grace if stop_grace is None else stop_grace
        self.heartbeat = Heartbeat(ProcessKind.CLUSTER)
        self.id = self.heartbeat.id
        self.actor = f"supervisor:{self.heartbeat.host}:{self.heartbeat.pid}"
        self.stop = threading.Event()
        self.state = ProcessState.STARTING
        self.restarts, self.detail = 0, ""
        self.process = None
        self.shared: board.ClusterBoard | None = None
        self.wedged_since: float | None = None
        self.last_sweep = 0.0
        self.db_failing = False

    # --- the loop -------------------------------------------------------------------------------------------

    def run(self, *, once: bool = False) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stop.set())
        try:
            self.beat()
            self.cluster_start()
            self.state = ProcessState.RUNNING
            while not (once or self.stop.is_set()):
                self.watch()
                self.beat()
                self.sweep_when_due()
                self.stop.wait(self.settings.heartbeat_interval)
            self.state = ProcessState.STOPPING
            self.beat()
            self.cluster_stop(self.stop_grace)
            self.state = ProcessState.STOPPED
            self.beat()
            return 0
        finally:
            self.cluster_kill()

    def watch(self) -> None:
        """Restart the cluster if it died, stopped reporting, or stopped taking work."""
        if self.process is None:
            return
        if not self.process.is_alive():
            self.restart(f"its sentinel exited with code {self.process.exitcode}")
            return
        shared, now = self.shared, time.time()
        if now - shared.sentinel_at.value > STALE_REPORT:
            self.restart(f"its sentinel stopped reporting {now - shared.sentinel_at.value:.0f}s ago")
            return
        if shared.queued.value > 0 and shared.busy.value == 0 and shared.alive.value > 0:
            self.wedged_since = self.wedged_since or now
            if now - self.wedged_since >= self.settings.wedge_after:
                self.restart(
                    f"wedged: {shared.queued.value} wake-up(s) waited {now - self.wedged_since:.0f}s in its task queue "
                    f"while all {shared.alive.value} workers were idle (a worker killed holding the queue's lock?)"
                )
        else:
            self.wedged_since = None

    def restart(self, reason: str) -> None:
        logger.error("cluster %s: restarting it, %s", self.id, reason)
        self.state, self.detail, self.restarts = ProcessState.RESTARTING, reason, self.restarts + 1
        self.beat()
        self.journal(reason)
        self.cluster_kill()
        backoff = min(RESTART_BACKOFF_MAX, 2 ** max(0, self.restarts - 3))  # quick at first, then patient
        if self.stop.wait(backoff if self.restarts > 3 else 0):
            return
        self.cluster_start()
        self.state = ProcessState.RUNNING
        self.sweep_when_due(force=True)  # wake the new workers for whatever the old ones left due

    # --- the cluster's processes ----------------------------------------------------------------------------

    def cluster_start(self) -> None:
        from django_q.cluster import get_mp_context

        self.shared = board.ClusterBoard()
        self.shared.sentinel_at.value = time.time()
        board.install(self.shared)
        db.connections.close_all()  # never share a connection with a forked child
        context = get_mp_context()
        stop_event, start_event = context.Event(), context.Event()
        self.stop_event = stop_event
        self.process = context.Process(
            target=WatchedSentinel, args=(stop_event, start_event, uuid.uuid4()), name="qcluster sentinel"
        )
        self.process.start()
        self.wedged_since = None
        deadline = time.monotonic() + START_TIMEOUT
        while not start_event.is_set() and self.process.is_alive() and time.monotonic() < deadline:
            if self.stop.wait(0.1):
                return
        if not start_event.is_set():
            logger.error("cluster %s: django-q2's cluster did not start (exit code %s)", self.id, self.process.exitcode)

    def cluster_stop(self, grace: float) -> None:
        """Ask the cluster to stop in order; kill what is left after ``grace`` seconds."""
        if self.process is None or not self.process.is_alive():
            return
        self.shared.stopping.value = 1  # workers: no more claims, give back the rest of the batch
        self.stop_event.set()  # the sentinel: stop the pusher, then the workers, then the monitor
        self.process.join(grace)
        if self.process.is_alive():
            logger.warning("cluster %s: still running after %gs, killing it", self.id, grace)

    def cluster_kill(self) -> None:
        """End the cluster's whole process group at once (its leases expire; their work runs again)."""
        if self.process is None:
            return
        for target in (lambda: os.killpg(self.process.pid, signal.SIGKILL), lambda: os.kill(self.process.pid, 9)):
            try:
                target()
                break
            except ProcessLookupError:
                continue  # not yet a group leader, or already gone
        self.process.join(5)
        self.process = None

    # --- what it tells the others ---------------------------------------------------------------------------

    def beat(self) -> None:
        shared = self.shared
        last_task = shared.last_task_at.value if shared else 0.0
        fields = {
            "workers": shared.alive.value if shared else 0,
            "busy": shared.busy.value if shared else 0,
            "queued": shared.queued.value if shared else 0,
            "last_task_at": datetime.fromtimestamp(last_task, UTC) if last_task else None,
            "restarts": self.restarts,
            "detail": self.detail,
        }
        self.with_database(lambda: self.heartbeat.beat(self.state, **fields), "beat")

    def journal(self, reason: str) -> None:
        def write():
            with transaction.atomic():
                journal.record(Step.CLUSTER_RESTARTED, actor=self.actor, detail=reason)

        self.with_database(write, "journal the restart")

    def sweep_when_due(self, *, force: bool = False) -> None:
        if force or time.monotonic() - self.last_sweep >= self.settings.sweep_interval:
            self.last_sweep = time.monotonic()
            self.with_database(sweeper.sweep, "sweep")

    def with_database(self, action, what: str):
        """Run ``action``; a database error is logged (once per outage) and the connection dropped, not raised."""
        try:
            connections.refresh()
            result = action()
        except Exception as error:
            if not self.db_failing:
                logger.exception("cluster %s: could not %s; trying again (%s)", self.id, what, error)
            self.db_failing = True
            connections.drop()
            return None
        if self.db_failing:
            logger.warning("cluster %s: the database answers again", self.id)
        self.db_failing = False
        return result
