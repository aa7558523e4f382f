"""Real processes for end-to-end tests: a qcluster, a sweeper, pointed at the test database."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    """The URL of the test database this pytest process set up, for child processes."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


class ManagedProcess:
    """A ``manage.py`` child process with the test settings; killed on exit.

    ``program`` runs another program instead of ``manage.py`` (e.g. ``daphne``); ``env`` adds variables.
    It traces only when ``env`` says so: OTEL_* variables of this process (a shell's, a test's) are not passed on.
    """

    def __init__(self, *args: str, log: Path, program: list[str] | None = None, env: dict[str, str] | None = None):
        env = {
            **{name: value for name, value in os.environ.items() if not name.startswith("OTEL_")},
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": test_database_url(),
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
            **(env or {}),
        }
        self.log = log
        self.process = subprocess.Popen(
            [*(program or [sys.executable, str(ROOT / "manage.py")]), *args],
            cwd=ROOT,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so children die with it
        )

    def children(self) -> list[int]:
        """PIDs of the process's descendants (django-q2's workers, pusher, monitor)."""
        out = subprocess.run(["ps", "-o", "pid=", "-g", str(self.process.pid)], capture_output=True, text=True)
        return [int(pid) for pid in out.stdout.split() if int(pid) != self.process.pid]

    def stop(self, timeout: float = 10) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # lets the cluster stop its workers itself
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # any straggler in its group

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None


def cluster_started(*, log: Path, env: dict[str, str] | None = None) -> ManagedProcess:
    """A real ``qcluster`` (with ``env`` added), returned once it runs; stopped if it never does."""
    cluster = ManagedProcess("qcluster", log=log, env=env)
    try:
        wait_for_cluster(cluster)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def wait_for_cluster(cluster: ManagedProcess, *, timeout: float = 20) -> None:
    """Return once the qcluster has spawned its workers and guards them (its stats say Idle or Working)."""
    from django_q.conf import Conf
    from django_q.status import Stat

    running = {str(Conf.IDLE), str(Conf.WORKING)}

    def ready():
        if not cluster.alive():
            raise AssertionError(f"qcluster exited with {cluster.process.returncode}:\n{cluster.output()[-3000:]}")
        return any(stat.pid == cluster.process.pid and str(stat.status) in running for stat in Stat.get_all())

    wait_until(ready, timeout=timeout, message="the qcluster to start")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> bool:
    """Whether a web server answers ``url`` (any status below 500)."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status < 500
    except OSError:
        return False


def wait_until(predicate, *, timeout: float = 30, interval: float = 0.05, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)
