"""Messaging on PostgreSQL (and the Redis broker) as it scales out, against raw django-q2 in the same run.

    PGTEST_DURABLE=1 .ci/postgres.sh start   # fsync on; or any server whose user may create databases
    .venv/bin/python bench/scale.py --database-url postgres://postgres@127.0.0.1:54329/marketplace \\
        --redis-url redis://127.0.0.1:63790/0 [--n 2000] [--repeat 3] [--workers 1,2,4] [--publishers 1,4,16]

Creates a throw-away database on the server of ``--database-url`` (it starts
no server), migrates it once and gives every run a fresh copy; the project's
own settings with DEBUG off, the ORM broker on PostgreSQL for (1) and (2).
(1) Throughput through real ``qcluster`` processes, 1 cluster of each
    ``--workers`` and 2 clusters of 2: N no-op django-q2 tasks (a), then N
    events to one no-op subscriber (b), queued first, drained by fresh
    clusters (``bench/clusters.py``). One line per configuration: both
    rates (medians of ``--repeat``) and ``ratio: X.XX`` (b/a).
(2) Publish rate with each ``--publishers`` count of concurrent processes,
    one transaction per message: ``async_task`` against ``publish``, COMMIT
    times and what the publishers' backends waited on
    (``bench/publishers.py``).
(3) Publish->handled latency at 20 msgs/s for 10 s with the Redis broker
    against raw django-q2's enqueue->start (``bench/redis_latency.py``).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.postgres_environment import PostgresEnvironment, check_server_url  # noqa: E402

QUICK = {"n": 200, "repeat": 1, "seconds": 3.0}
DEFAULTS = {"n": 2000, "repeat": 1, "seconds": 10.0}
CLUSTERS_OF_TWO = 2  # the configuration with more than one cluster: this many clusters of 2 workers


def counts(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected positive whole numbers separated by commas, not {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive whole numbers, not {text!r}")
    return list(dict.fromkeys(values))


def positive(kind):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
        return value

    return parse


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="default: $DATABASE_URL")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"), help="for (3); default: $REDIS_URL")
    parser.add_argument("--n", type=positive(int), help="messages for each throughput and publish run (default 2000)")
    parser.add_argument("--repeat", type=positive(int), help="runs of (1) and (2); the median counts (default 1)")
    parser.add_argument("--workers", type=counts, default=[1, 2, 4], help="workers of the one cluster (default 1,2,4)")
    parser.add_argument("--publishers", type=counts, default=[1, 4, 16], help="concurrent publishers (default 1,4,16)")
    parser.add_argument("--rate", type=positive(float), default=20, help="messages/s for (3) (default 20)")
    parser.add_argument("--seconds", type=positive(float), help="length of each latency run (default 10)")
    parser.add_argument("--skip-latency", action="store_true", help="skip (3); no Redis needed")
    parser.add_argument("--quick", action="store_true", help="a smoke run: --n 200, --repeat 1, --seconds 3")
    parser.add_argument("--timeout", type=positive(float), default=300, help="give up a phase after this long")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (cluster logs) and the databases")
    args = parser.parse_args(argv)
    for name, value in (QUICK if args.quick else DEFAULTS).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if not args.database_url:
        parser.error("no PostgreSQL server: give --database-url or set DATABASE_URL (this starts none)")
    try:
        check_server_url(args.database_url)
    except ValueError as error:
        parser.error(f"--database-url: {error}")
    if not args.skip_latency and not args.redis_url:
        parser.error("the latency run needs Redis: give --redis-url or set REDIS_URL, or --skip-latency")
    if not args.skip_latency and not args.redis_url.startswith(("redis://", "rediss://", "unix://")):
        parser.error(f"--redis-url: not a Redis URL: {args.redis_url!r}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    began = time.monotonic()
    if error := _unreachable(args.database_url):
        print(f"cannot use the PostgreSQL server of --database-url: {error}", file=sys.stderr)
        return 2
    env = PostgresEnvironment(server_url=args.database_url, workers=2, keep=args.keep)
    try:
        env.setup()
        print(_header(args), flush=True)
        throughput(env, args)
        publishing(env, args)
        if not args.skip_latency:
            latency(env, args)
        print(f"load average at the end {_load()}; {time.monotonic() - began:.0f} s in all")
    finally:
        env.cleanup()
    return 0


def throughput(env, args) -> None:
    from bench.clusters import drain_messaging, drain_raw, workers_set

    print("(1) throughput, queued first, drained by fresh clusters (ORM broker on PostgreSQL):", flush=True)
    configurations = [(1, workers) for workers in args.workers] + [(CLUSTERS_OF_TWO, 2)]
    for clusters, workers in configurations:
        workers_set(workers)
        raw, bus = [], []
        for _ in range(args.repeat):
            raw.append(drain_raw(env, args.n, args.timeout, clusters))
            print(f"    {raw[-1].line()}", flush=True)
            bus.append(drain_messaging(env, args.n, args.timeout, clusters))
            print(f"    {bus[-1].line()}", flush=True)
        a = statistics.median(r.rate for r in raw)
        b = statistics.median(r.rate for r in bus)
        label = f"{clusters} cluster{'s' if clusters > 1 else ''} x {workers} worker{'s' if workers > 1 else ''}"
        print(f"  {label:<22} raw django-q2 {a:7.1f} msgs/s  messaging {b:7.1f} msgs/s  ratio: {b / a:.2f}", flush=True)
    workers_set(2)


def publishing(env, args) -> None:
    from bench.publishers import MESSAGING, RAW, SAMPLE_SECONDS, publish_run

    print(
        f"(2) publishers, one transaction per message, no cluster running; waits sampled from pg_stat_activity "
        f"every {SAMPLE_SECONDS * 1000:g} ms, as shares of the publishers' backend samples:",
        flush=True,
    )
    medians = {}
    for publishers in args.publishers:
        rates, busy = {RAW: [], MESSAGING: []}, {RAW: [], MESSAGING: []}
        for _ in range(args.repeat):
            for kind in (RAW, MESSAGING):
                run = publish_run(env, kind, publishers, args.n, args.timeout)
                rates[kind].append(run.rate)
                busy[kind].append(run.cpu_busy)
                print(f"    {run.line()}\n      {run.wait_line()}", flush=True)
        a, b = statistics.median(rates[RAW]), statistics.median(rates[MESSAGING])
        medians[publishers] = {kind: (statistics.median(rates[kind]), statistics.median(busy[kind])) for kind in rates}
        print(
            f"  {publishers:>2} publisher{'s' if publishers > 1 else ' '}          async_task {a:7.1f} msgs/s  "
            f"publish {b:7.1f} msgs/s  ratio: {b / a:.2f}",
            flush=True,
        )
    fewest, most = min(medians), max(medians)
    if most > fewest:
        for kind in (RAW, MESSAGING):
            (low, low_busy), (high, _) = medians[fewest][kind], medians[most][kind]
            # The machine's CPU caps the gain: what fewest publishers keep busy, more cannot exceed all of it.
            ceiling = f"{1 / low_busy:.1f}x" if low_busy else "unknown"
            print(
                f"  {kind:>13}: {most} publishers / {fewest}: {high / low:.2f}x "
                f"(CPU ceiling on this machine: {ceiling}, from {low_busy * 100:.0f}% busy with {fewest})",
                flush=True,
            )


def latency(env, args) -> None:
    print("(3)", end=" ", flush=True)
    command = [sys.executable, str(ROOT / "bench" / "redis_latency.py"), "--database-url", args.database_url]
    command += ["--redis-url", args.redis_url, "--template", env.template]
    command += ["--rate", str(args.rate), "--seconds", str(args.seconds), "--timeout", str(args.timeout)]
    subprocess.run(command + (["--keep"] if args.keep else []), cwd=ROOT, check=True)


def _unreachable(url: str) -> str:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        return str(error).strip()
    return ""


def _header(args) -> str:
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('server_version'), current_setting('fsync'), "
            "current_setting('synchronous_commit'), current_setting('max_connections')"
        )
        version, fsync, synchronous_commit, max_connections = cursor.fetchone()
    q = settings.Q_CLUSTER
    return (
        f"PostgreSQL {version} (fsync={fsync}, synchronous_commit={synchronous_commit}, "
        f"max_connections={max_connections}), database {connection.settings_dict['NAME']}; "
        f"Q_CLUSTER bulk={q.get('bulk', 1)} poll={q.get('poll', 0.2)} save_limit={q.get('save_limit')}; "
        f"DEBUG={settings.DEBUG}; N={args.n}; repeat={args.repeat}; {os.cpu_count()} CPUs; load average {_load()}"
    )


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
