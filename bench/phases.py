"""The three measurements. Import after ``django.setup()``.

Throughput (a, b): everything is queued first, then the cluster starts; the
clock runs from the first no-op execution (read from its trace) to the moment
this process sees the work done, so cluster start-up is not counted in either.
"""

import math
import time
from dataclasses import dataclass, field

from django.db import transaction
from django_q.brokers import get_broker
from django_q.models import OrmQ
from django_q.tasks import async_task

from bench.benchapp import trace
from bench.benchapp.contracts import BenchPinged
from bench.benchapp.handlers import HANDLED
from bench.benchapp.tasks import NOOP, NOOP_TASK
from bench.cluster import Cluster, wait_until
from messaging import publish
from messaging.models import Delivery, DeliveryStatus


@dataclass
class Throughput:
    name: str
    n: int
    seconds: float  # first execution -> all done
    wall: float  # cluster spawn -> all done
    enqueue_seconds: float
    runs: int
    distinct: int
    cpu: float  # cluster CPU seconds, start-up included
    notes: dict = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.n / self.seconds

    def line(self) -> str:
        notes = "".join(f", {key} {value}" for key, value in self.notes.items())
        return (
            f"{self.name}: {self.rate:8.1f} msgs/s  ({self.n} in {self.seconds:.3f}s from first run; "
            f"{self.wall:.2f}s from cluster spawn; cluster CPU {self.cpu:.1f}s; queued in {self.enqueue_seconds:.2f}s; "
            f"{self.runs} runs of {self.distinct} distinct{notes})"
        )


def raw_queue(env, n: int, timeout: float) -> Throughput:
    """(a) N no-op django-q2 tasks, drained until the broker table is empty."""
    env.reset()
    started = time.perf_counter()
    broker = get_broker()
    with transaction.atomic():
        for seq in range(n):
            async_task(NOOP_TASK, seq, broker=broker, task_name=f"noop {seq}")
    enqueue_seconds = time.perf_counter() - started
    with Cluster(env.dir / "qcluster-raw.log") as cluster:
        _, done = wait_until(lambda: OrmQ.objects.count() == 0, cluster=cluster, timeout=timeout, what="empty queue")
    return _result("a raw django-q2", NOOP, n, done, cluster, enqueue_seconds)


def messaging(env, n: int, timeout: float, spy=None, name: str = "b messaging") -> Throughput:
    """(b) N events, one no-op subscriber each, drained until every delivery succeeded."""
    env.reset()
    started = time.perf_counter()
    for seq in range(n):
        with transaction.atomic():  # one business transaction per event, as services publish
            publish(BenchPinged(seq=seq))
    enqueue_seconds = time.perf_counter() - started
    succeeded = Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED)
    with Cluster(env.dir / f"qcluster-{name.removeprefix('b ').replace(' ', '-')}.log") as cluster:
        if spy is not None:
            spy.attach(cluster.process.pid)
        _, done = wait_until(lambda: succeeded.count() == n, cluster=cluster, timeout=timeout, what="deliveries")
        left = OrmQ.objects.count()
    result = _result(f"{name:<16}", HANDLED, n, done, cluster, enqueue_seconds)
    result.notes["wake-ups still queued at the end"] = left
    return result


def _result(name, kind, n, done, cluster, enqueue_seconds) -> Throughput:
    runs = trace.read(kind)
    first = min(min(times) for times in runs.values())
    total = sum(len(times) for times in runs.values())
    if len(runs) != n:
        raise RuntimeError(f"{name}: {len(runs)} of {n} ran\n{cluster.tail()}")
    wall = done - cluster.started_at
    return Throughput(name.strip(), n, done - first, wall, enqueue_seconds, total, len(runs), cluster.cpu_seconds)


@dataclass
class Latency:
    count: int
    to_handler: list[float]  # commit -> handler ran (seconds)
    to_finished: list[float]  # commit -> delivery.finished_at

    def lines(self) -> list[str]:
        return [
            f"latency commit->handler:     {_summary(self.to_handler)}",
            f"latency commit->finished_at: {_summary(self.to_finished)}",
        ]


def latency(env, rate: float, seconds: float, timeout: float) -> Latency:
    """(c) Publish at a light, steady rate into a running cluster."""
    env.reset()
    count = max(1, round(rate * seconds))
    commits: dict[int, float] = {}
    with Cluster(env.dir / "qcluster-latency.log") as cluster:
        _publish_at(-1, commits)  # warm-up: the cluster is up and has connected
        succeeded = Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED)
        wait_until(lambda: succeeded.count() == 1, cluster=cluster, timeout=60, what="warm-up delivery")
        start = time.perf_counter()
        for seq in range(count):
            pause = start + seq / rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            _publish_at(seq, commits)
        wait_until(lambda: succeeded.count() == count + 1, cluster=cluster, timeout=timeout, what="deliveries")
    handled = trace.read(HANDLED)
    finished = {
        payload["seq"]: at.timestamp() for payload, at in succeeded.values_list("message__payload", "finished_at")
    }
    seqs = range(count)
    return Latency(
        count,
        to_handler=[handled[seq][0] - commits[seq] for seq in seqs],
        to_finished=[finished[seq] - commits[seq] for seq in seqs],
    )


def _publish_at(seq: int, commits: dict[int, float]) -> None:
    with transaction.atomic():
        # Registered before publish's own on_commit (the wake-up), so it runs first: the commit time.
        transaction.on_commit(lambda: commits.__setitem__(seq, time.time()))
        publish(BenchPinged(seq=seq))


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def _summary(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"p50 {percentile(ms, 50):6.1f} ms  p90 {percentile(ms, 90):6.1f} ms  "
        f"p99 {percentile(ms, 99):6.1f} ms  max {max(ms):6.1f} ms  (n={len(ms)})"
    )
