"""Concurrent publishers on PostgreSQL, and what their backends wait on. Import after ``django.setup()``.

Each publisher is a process forked from this one (threads would share one
GIL and measure Python, not the database) with its own connection; it writes
one transaction per message: ``publish()`` of one event for messaging, one
``async_task()`` for raw django-q2 (ORM broker). No cluster runs meanwhile,
so only the writes are measured (messaging's wake-up then finds its wake-ups
already queued and adds a count query per message, as it does under load).

Two views of the waiting: each publisher times its COMMITs (from the end of
its block to its first ``on_commit`` callback), and a thread here samples
``pg_stat_activity`` for the publishers' backends every ``SAMPLE_SECONDS``:
a sample is "waiting on another writer" when its wait event is a lock
(``Lock``: rows, transaction ids, relation extension) or a lightweight lock
(``LWLock``: WAL insertion or flush taken by another backend), "in IO" for
``IO`` (mostly its own WAL fsync), "in PostgreSQL" when active without a wait,
"waiting for its client in a transaction" when idle in a transaction (the
Python side is working) and "idle between transactions" (the Python side is
working between two, or the publisher has finished).
"""

import multiprocessing
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, connections, transaction
from django_q.brokers import get_broker
from django_q.tasks import async_task

from bench.benchapp.contracts import BenchPinged
from bench.benchapp.tasks import NOOP_TASK
from bench.phases import percentile
from messaging import publish

APPLICATION_NAME = "bench-publisher"
SAMPLE_SECONDS = 0.01
RAW, MESSAGING = "raw django-q2", "messaging"


@dataclass
class PublishRun:
    kind: str
    publishers: int
    count: int
    seconds: float  # first publisher's start -> last one's end
    commits: list[float]  # seconds per COMMIT, all publishers
    waits: Counter = field(default_factory=Counter)  # backend samples by category
    top_waits: Counter = field(default_factory=Counter)  # backend samples waiting on a lock or IO, by event
    cpu_busy: float = 0.0  # share of the machine's CPU time busy meanwhile (every process: publishers, PostgreSQL)

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def line(self) -> str:
        ms = [c * 1000 for c in self.commits]
        return (
            f"{self.kind:>13} x{self.publishers:<2}: {self.rate:7.1f} msgs/s ({self.count} in {self.seconds:.2f}s); "
            f"COMMIT p50 {percentile(ms, 50):.1f} ms p99 {percentile(ms, 99):.1f} ms; "
            f"CPU {self.cpu_busy * 100:.0f}% busy of {os.cpu_count()} cores"
        )

    def wait_line(self) -> str:
        total = sum(self.waits.values())
        if not total:
            return "no pg_stat_activity samples"
        shares = ", ".join(f"{name} {count / total * 100:.0f}%" for name, count in self.waits.most_common())
        top = ", ".join(f"{event} {count / total * 100:.0f}%" for event, count in self.top_waits.most_common(3))
        waited = self.waits["waiting on another writer"] / total * self.publishers * self.seconds
        return f"backends: {shares} (≈ {waited:.2f} s of writers waiting on each other; top waits: {top or 'none'})"


def publish_run(env, kind: str, publishers: int, n: int, timeout: float) -> PublishRun:
    """``n`` messages in all (rounded down to a multiple of ``publishers``), one transaction each."""
    env.reset()
    connections.close_all()  # no connection may cross the fork
    per = max(1, n // publishers)
    context = multiprocessing.get_context("fork")
    ready = context.Barrier(publishers + 1)
    results = context.Queue()
    processes = [
        context.Process(target=_publisher, args=(kind, range(i * per, (i + 1) * per), ready, results))
        for i in range(publishers)
    ]
    for process in processes:
        process.start()
    sampler = Sampler(env.admin_url())
    try:
        ready.wait(timeout)
        sampler.start()
        cpu_before = cpu_times()
        outcomes = [results.get(timeout=timeout) for _ in processes]
        cpu_busy = busy_share(cpu_before, cpu_times())
    finally:
        sampler.stop()
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.kill()
    errors = [outcome for outcome in outcomes if isinstance(outcome, str)]
    if errors:
        raise RuntimeError(f"a publisher failed:\n{errors[0]}")
    seconds = max(end for _, end, _ in outcomes) - min(start for start, _, _ in outcomes)
    commits = [c for _, _, times in outcomes for c in times]
    return PublishRun(kind, publishers, per * publishers, seconds, commits, sampler.waits, sampler.top_waits, cpu_busy)


def cpu_times() -> tuple[int, int]:
    """(busy, all) CPU time of the whole machine so far, in clock ticks (Linux's ``/proc/stat``)."""
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    """The share of the machine's CPU time that was busy between two ``cpu_times()``."""
    spent = after[1] - before[1]
    return (after[0] - before[0]) / spent if spent else 0.0


def _publisher(kind: str, seqs: range, ready, results) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SET application_name = '{APPLICATION_NAME}'")
        broker = get_broker()
        write = _publish_one if kind == MESSAGING else lambda seq: async_task(NOOP_TASK, seq, broker=broker)
        write(-1 - seqs.start)  # warm-up: imports, first statements prepared
        ready.wait()
        commits, started = [], time.time()
        for seq in seqs:
            marks = {}
            with transaction.atomic():
                # Registered first, so it runs first after COMMIT (before messaging's wake-up).
                transaction.on_commit(lambda marks=marks: marks.__setitem__("committed", time.perf_counter()))
                write(seq)
                marks["commit"] = time.perf_counter()
            commits.append(marks["committed"] - marks["commit"])
        results.put((started, time.time(), commits))
    except BaseException:
        import traceback

        results.put(traceback.format_exc())
    finally:
        connections.close_all()


def _publish_one(seq: int) -> None:
    publish(BenchPinged(seq=seq))


class Sampler:
    """Samples the publishers' backends in ``pg_stat_activity`` from a thread with its own connection."""

    QUERY = "SELECT state, wait_event_type, wait_event FROM pg_stat_activity WHERE application_name = %s"

    def __init__(self, url: str):
        self.url = url
        self.waits, self.top_waits = Counter(), Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as sampling:
            while not self._stop.is_set():
                for state, kind, event in sampling.execute(self.QUERY, [APPLICATION_NAME]).fetchall():
                    self.waits[_category(state, kind)] += 1
                    if kind not in (None, "Client", "Activity"):
                        self.top_waits[f"{kind}:{event}"] += 1
                self._stop.wait(SAMPLE_SECONDS)


def _category(state: str | None, kind: str | None) -> str:
    if kind in ("Lock", "LWLock"):
        return "waiting on another writer"
    if kind == "IO":
        return "in IO (its own WAL flush, reads)"
    if state == "active":
        return "in PostgreSQL" if kind is None else f"other wait ({kind})"
    if state == "idle in transaction":
        return "waiting for its client in a transaction"
    return "idle between transactions"
