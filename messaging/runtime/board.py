"""What a supervised cluster's processes tell each other, in shared memory: no lock, no database.

The supervisor (``manage.py qcluster``) makes one board before it forks the
cluster; the sentinel and every worker inherit it. Workers note when they
take a task and read whether they should stop; the sentinel notes how many
workers are alive, idle and busy and how many wake-ups wait in its task queue;
the supervisor reads all of it to tell a working cluster from a wedged one.
Plain shared values (``RawValue``): a process killed halfway through a write
cannot leave a lock behind for the others to wait on forever.
"""

import time
from multiprocessing import RawValue

_board: "ClusterBoard | None" = None  # this process's board, if it belongs to a supervised cluster


class ClusterBoard:
    def __init__(self):
        self.stopping = RawValue("b", 0)  # the supervisor asks workers to finish what is in hand and stop
        self.last_task_at = RawValue("d", 0.0)  # wall-clock time a worker last took a task
        self.sentinel_at = RawValue("d", 0.0)  # the sentinel's last report
        self.alive = RawValue("i", 0)
        self.idle = RawValue("i", 0)
        self.busy = RawValue("i", 0)
        self.queued = RawValue("i", 0)  # wake-ups in the cluster's task queue, not yet taken by a worker

    def report(self, *, alive: int, idle: int, busy: int, queued: int) -> None:
        self.alive.value, self.idle.value, self.busy.value, self.queued.value = alive, idle, busy, queued
        self.sentinel_at.value = time.time()


def install(board: ClusterBoard | None) -> None:
    """Make ``board`` this process's (and its future children's) board."""
    global _board
    _board = board


def current() -> ClusterBoard | None:
    return _board


def task_started() -> None:
    if _board is not None:
        _board.last_task_at.value = time.time()


def stop_requested() -> bool:
    """Whether this worker's cluster is stopping: finish the delivery in hand, give the rest back."""
    return _board is not None and bool(_board.stopping.value)
