"""Latency at a light rate on PostgreSQL with the Redis broker: messaging against raw django-q2.

    python bench/redis_latency.py --database-url URL --redis-url URL --template DB [--rate 20] [--seconds 10]

Run by ``bench/scale.py`` in a process of its own, because django-q2 picks its
broker when it is imported. Works on a fresh copy of the migrated template
database ``--template`` on the server of ``--database-url``:
(c) messaging, publish (commit) -> handler ran: ``bench/phases.py``'s latency phase;
(d) raw django-q2, ``async_task`` called -> the no-op task started.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.postgres_environment import PostgresEnvironment


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="the PostgreSQL server (its database is not used)")
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--template", required=True, help="a migrated database on that server to copy")
    parser.add_argument("--rate", type=float, default=20, help="messages/s (default 20)")
    parser.add_argument("--seconds", type=float, default=10, help="length of each run (default 10)")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--keep", action="store_true")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    env = PostgresEnvironment(
        server_url=args.database_url, redis_url=args.redis_url, template=args.template, workers=2, keep=args.keep
    )
    try:
        env.setup()
        from bench import phases

        bus = phases.latency(env, args.rate, args.seconds, args.timeout)
        raw = raw_latency(env, args.rate, args.seconds, args.timeout)
        print(f"latency on Redis at {args.rate:g} msgs/s for {args.seconds:g}s, cluster running (2 workers):")
        print(f"  c messaging commit->handler:      {_summary(bus.to_handler)}")
        print(f"  c messaging commit->finished_at:  {_summary(bus.to_finished)}")
        print(f"  d raw django-q2 enqueue->started: {_summary(raw)}")
    finally:
        env.cleanup()
    return 0


def _summary(values: list[float]) -> str:
    from bench.phases import percentile

    ms = [value * 1000 for value in values]
    shares = "  ".join(f"p{pct} {percentile(ms, pct):6.1f} ms" for pct in (50, 95, 99))
    return f"{shares}  max {max(ms):6.1f} ms  (n={len(ms)})"


def raw_latency(env, rate: float, seconds: float, timeout: float) -> list[float]:
    """No-op tasks enqueued at a steady rate into a running cluster; seconds from enqueue to start."""
    from django_q.brokers import get_broker
    from django_q.tasks import async_task

    from bench.benchapp import trace
    from bench.benchapp.tasks import NOOP, NOOP_TASK
    from bench.cluster import Cluster, wait_until

    env.reset()
    count = max(1, round(rate * seconds))
    broker = get_broker()
    enqueued: dict[int, float] = {}

    def ran(seqs) -> bool:
        runs = trace.read(NOOP)
        return all(seq in runs for seq in seqs)

    with Cluster(env.dir / "qcluster-raw-latency.log") as cluster:
        async_task(NOOP_TASK, -1, broker=broker)  # warm-up: the cluster is up and listening
        wait_until(lambda: ran([-1]), cluster=cluster, timeout=60, what="warm-up task")
        start = time.perf_counter()
        for seq in range(count):
            pause = start + seq / rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            enqueued[seq] = time.time()  # before the call, as messaging's clock starts before its wake-up's
            async_task(NOOP_TASK, seq, broker=broker)
        wait_until(lambda: ran(range(count)), cluster=cluster, timeout=timeout, what="tasks")
    runs = trace.read(NOOP)
    return [runs[seq][0] - enqueued[seq] for seq in range(count)]


if __name__ == "__main__":
    sys.exit(main())
