"""django-q2's cluster, made to report on itself: the sentinel and workers of a supervised cluster.

The supervisor (``messaging.processes.supervisor``) forks ``WatchedSentinel``, django-q2's
own sentinel with three changes: it leads a process group of its own (so the
supervisor can end the whole cluster at once), it and its children leave
SIGTERM and SIGINT to the supervisor (which stops them in order), and a thread
writes what the cluster is doing on the shared board twice a second: workers
alive, idle and busy, wake-ups waiting in its task queue. Values are read
without their locks: a worker killed while holding one must not stop the report.

A worker that gets SIGTERM while its cluster is not stopping is being ended by
django-q2 itself (a task past the cluster's timeout): it exits at once.
"""

import logging
import os
import signal
import threading
import time

from django_q.cluster import Sentinel
from django_q.signals import post_spawn

from messaging.runtime import board
from messaging.runtime.telemetry import tracing

logger = logging.getLogger(__name__)

REPORT_EVERY = 0.5
ORPHAN_CHECK = "the supervisor is gone"
TERM_GRACE = 0.5  # a group SIGTERM reaches a worker a moment before the supervisor says it is stopping


class WatchedSentinel(Sentinel):
    def start(self):
        os.setpgid(0, 0)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_IGN)  # inherited by the pusher and monitor; workers set their own
        threading.Thread(target=self._report, name="cluster board", daemon=True).start()
        super().start()

    def _report(self):
        shared = board.current()
        while True:
            if os.getppid() != self.parent_pid:
                logger.error("cluster %s: %s; ending the cluster", self.cluster_id, ORPHAN_CHECK)
                os.killpg(os.getpgid(0), signal.SIGKILL)
            if shared is not None:
                timers = [process.timer.get_obj().value for process in list(self.pool)]
                shared.report(
                    alive=len(timers),
                    idle=sum(1 for value in timers if value == -1),
                    busy=sum(1 for value in timers if value > 0),
                    queued=max(0, self.task_queue.size.count.get_obj().value),
                )
            time.sleep(REPORT_EVERY)


def _worker_spawned(sender, proc_name, **kwargs):
    if board.current() is not None:
        signal.signal(signal.SIGTERM, _worker_terminated)


def _worker_terminated(signum, frame):
    """Ignore a group SIGTERM (the supervisor stops the cluster in order); exit on django-q2's own terminate."""

    def exit_unless_stopping():
        if not board.stop_requested():
            tracing.flush()  # the spans it still holds: an exit by os._exit runs no finalizer
            os._exit(1)

    threading.Timer(TERM_GRACE, exit_unless_stopping).start()


post_spawn.connect(_worker_spawned, dispatch_uid="messaging.processes.cluster.worker_spawned")
