"""The system under test, as real processes: web (daphne), supervised clusters, sweepers."""

import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from tests.processes import ManagedProcess, answers, free_port, wait_for_cluster, wait_until

DAPHNE = str(Path(sys.executable).parent / "daphne")


@dataclass
class Stack:
    logs: Path
    env: dict[str, str] = field(default_factory=dict)
    webs: list[ManagedProcess] = field(default_factory=list)
    clusters: list[ManagedProcess] = field(default_factory=list)
    sweepers: list[ManagedProcess] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports[0]}"

    def _process(self, name: str, *args: str, program=None) -> ManagedProcess:
        count = sum(1 for _ in self.logs.glob(f"{name}*.log"))
        env = {**self.env, "DJANGO_ALLOW_ASYNC_UNSAFE": ""}
        return ManagedProcess(*args, program=program, env=env, log=self.logs / f"{name}-{count}.log")

    def start_web(self) -> ManagedProcess:
        port = free_port()
        web = self._process("daphne", "-b", "127.0.0.1", "-p", str(port), "marketplace.asgi:application",
                            program=[DAPHNE])  # fmt: skip
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/admin/login/") or not web.alive(), message="daphne")
        assert web.alive(), f"daphne exited:\n{web.output()[-3000:]}"
        self.webs.append(web)
        self.ports.append(port)
        return web

    def start_cluster(self) -> ManagedProcess:
        cluster = self._process("qcluster", "qcluster")
        wait_for_cluster(cluster, timeout=30)
        self.clusters.append(cluster)
        return cluster

    def start_sweeper(self) -> ManagedProcess:
        sweeper = self._process("sweeper", "messaging_sweeper", "--interval", str(settings.MESSAGING["sweep_interval"]))
        self.sweepers.append(sweeper)
        return sweeper

    def all(self) -> list[ManagedProcess]:
        return [*self.webs, *self.clusters, *self.sweepers]

    def stop(self) -> None:
        for process in self.all():
            process.stop(timeout=15)

    def logs_tail(self, chars: int = 2500) -> str:
        return "\n".join(f"--- {p.log.name} ---\n{p.output()[-chars:]}" for p in self.all())


def worker_pids(cluster: ManagedProcess) -> list[int]:
    """The django-q2 workers of a cluster, as its sentinel reports them (they change after a restart)."""
    from django_q.status import Stat

    for stat in Stat.get_all():
        if stat.pid == cluster.process.pid and stat.workers:
            return [pid for pid in stat.workers if _alive(pid)]
    return []


def live_workers(cluster: ManagedProcess, timeout: float = 20) -> list[int]:
    """The cluster's workers, once its sentinel reports them (a cache entry that lapses on a busy machine)."""
    return wait_until(lambda: worker_pids(cluster), timeout=timeout, message="the cluster's workers listed")


def wchan(pid: int) -> str:
    """What the process is blocked in, as the kernel says (pipe read, futex wait, nanosleep...)."""
    try:
        return Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return ""


def queue_lock_holder(cluster: ManagedProcess) -> int | None:
    """The idle worker blocked reading the task queue's pipe: it holds the queue's read lock (the others wait)."""
    readers = [pid for pid in worker_pids(cluster) if "pipe" in wchan(pid)]
    return readers[0] if len(readers) == 1 else None


def busy_worker(cluster: ManagedProcess) -> int | None:
    """A worker mid-attempt, asleep in fault-lab latency."""
    return next((pid for pid in worker_pids(cluster) if "nanosleep" in wchan(pid)), None)


def kill(pid: int, signum=signal.SIGKILL) -> None:
    os.kill(pid, signum)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
