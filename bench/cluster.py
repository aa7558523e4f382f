"""``manage.py qcluster`` as a child process in its own process group."""

import contextlib
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.environment import ROOT


class Cluster:
    def __init__(self, log: Path):
        self.log = log
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.cpu_seconds = 0.0  # user + sys of the cluster's processes, once stopped cleanly

    def start(self) -> "Cluster":
        self.started_at = time.time()
        self._cpu_before = _children_cpu()
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "qcluster"],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"qcluster exited with {self.process.returncode}:\n{self.tail()}")

    def stop(self, timeout: float = 15) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the cluster stops its workers itself
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # any straggler in its group
        self.process = None
        self.cpu_seconds = _children_cpu() - self._cpu_before

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # reaped descendants: the cluster reaps its own
    return usage.ru_utime + usage.ru_stime


def wait_until(predicate, *, cluster: Cluster, timeout: float, interval: float = 0.01, what: str):
    """Poll ``predicate`` until truthy; returns (value, time.time() when it became truthy)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value, time.time()
        cluster.check_alive()
        if time.monotonic() > deadline:
            log = cluster.tail()
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}\n--- qcluster log ---\n{log}")
        time.sleep(interval)
