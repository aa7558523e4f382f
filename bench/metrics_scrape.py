"""Time a /metrics scrape against a million journal rows, on SQLite or (--database-url) PostgreSQL.

    .venv/bin/python bench/metrics_scrape.py                  # SQLite, 1,000,000 journal entries
    .venv/bin/python bench/metrics_scrape.py --database-url postgres://postgres@127.0.0.1:55471/marketplace
    .venv/bin/python bench/metrics_scrape.py --rows 100000 --backlog 100000 --processes 1000 --explain

Fills a throw-away database as bench/admin_million.py does (N journal entries, N/5 messages with one
delivery each: 2% dead letters, 0.5% retries scheduled, 0.5% pending), on PostgreSQL in a database of its
own on that server (dropped at the end). Adds --backlog due deliveries if asked, then ANALYZE (VACUUM
ANALYZE on PostgreSQL). Records a few attempts of every handler into this process's metric files. Then,
DEBUG=0, times the database's gauges alone and a whole GET /metrics by the bearer (Django's test client, a
web process's settings), and that GET again with the files --processes processes that have exited left
meanwhile (copies of this process's), which it merges first: the median of --runs each. Target: the gauges
under 50 ms.
"""

import argparse
import contextlib
import os
import secrets
import shutil
import statistics
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere
from bench import admin_million
from bench.admin_million import insert
from bench.postgres_environment import check_server_url
from bench.scratch import scratch_dir

TARGET_MS = 50
TOKEN = secrets.token_urlsafe(24)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="journal entries (messages: rows/5)")
    parser.add_argument("--backlog", type=int, default=0, help="more deliveries, pending and due (default 0)")
    parser.add_argument("--processes", type=int, default=200, help="exited processes' metric files (default 200)")
    parser.add_argument("--runs", type=int, default=9, help="timed scrapes of each kind (default 9)")
    parser.add_argument("--database-url", help="a PostgreSQL server to use instead of SQLite")
    parser.add_argument("--explain", action="store_true", help="print the plan of each of the gauges' queries")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir and the database")
    return parser.parse_args()


def setup_django(var_dir: Path, database_url: str) -> None:
    os.environ.update(
        {
            "MARKETPLACE_VAR_DIR": str(var_dir),
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "testserver",
            "DJANGO_SETTINGS_MODULE": "marketplace.settings",
            "MARKETPLACE_PROCESS": "web",  # a scrape is a web request: on PostgreSQL, through the pool
            "METRICS_TOKEN": TOKEN,
            "METRICS_DIR": str(var_dir / "metrics"),
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()


class Server:
    """A database of this run's own on the PostgreSQL server of ``url``, dropped at the end unless kept."""

    def __init__(self, url: str, keep: bool):
        check_server_url(url)
        self.url, self.keep = url, keep
        self.name = f"marketplace_metrics_bench_{os.getpid()}"

    def database_url(self) -> str:
        return urllib.parse.urlparse(self.url)._replace(path=f"/{self.name}").geturl()

    def __enter__(self):
        self._admin(f"CREATE DATABASE {self.name}")
        return self

    def __exit__(self, *exc):
        from django.db import connections

        connections.close_all()
        if self.keep:
            print(f"kept database {self.name}")
        else:
            self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")

    def _admin(self, sql: str) -> None:
        import psycopg

        admin = urllib.parse.urlparse(self.url)._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(sql)


def add_backlog(population, count: int) -> None:
    """``count`` more messages, each with one delivery pending and due."""
    from django.db import transaction

    from messaging.models import Delivery, Message

    ids = [uuid.uuid4() for _ in range(count)]
    first_id = population.message_rows + 1
    now = population.moment(population.message_rows)

    def message(i):
        return {**population.message(i % population.message_rows), "id": ids[i].hex, "created_at": now}

    def delivery(i):
        row = population.delivery(i % population.message_rows)
        return {**row, "id": first_id + i, "message_id": ids[i].hex, "status": "pending", "attempts": 0,
                "last_error": "", "traceback": "", "available_at": now, "finished_at": None}  # fmt: skip

    with transaction.atomic():
        insert(Message, map(message, range(count)))
        insert(Delivery, map(delivery, range(count)))
    print(f"added a backlog of {count:,} due deliveries")


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        # The statistics (and on PostgreSQL the visibility map) of a database that has run a while.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def record_metrics() -> None:
    """Attempts of every handler and messages of every type, in this process's files."""
    from messaging.runtime.registry import registry
    from messaging.runtime.telemetry import metrics

    for handler in registry.handlers:
        for outcome in ("succeeded", "failed", "timed_out", "dead_lettered"):
            metrics.attempt_ended(handler, outcome, 0.012, 0.08 if outcome == "succeeded" else None)
    for message_type in registry.messages.values():
        metrics._sent(message_type.kind, message_type.name, message_type.context).inc()


def exited_processes_files(processes: int) -> int:
    """Copies of this process's files as ``processes`` processes that have exited would have left them."""
    from messaging.runtime.telemetry import metric_files

    files = list(metric_files.directory().glob(f"*_{os.getpid()}.db"))
    for n in range(processes):  # pids that never run
        for path in files:
            shutil.copyfile(path, path.with_name(path.name.replace(str(os.getpid()), str(90_000_000 + n))))
    return len(files) * processes


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def time_ms(call, runs: int) -> list[float]:
    call()  # warm-up: imports, the OS's page cache, the pool's first connection
    return [_timed(call) for _ in range(runs)]


def explain() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from messaging.operations.gauges import DatabaseCollector

    with CaptureQueriesContext(connection) as queries:
        list(DatabaseCollector().collect())
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    for query in queries.captured_queries:
        print(f"\n{query['sql'][:300]}")
        with connection.cursor() as cursor:
            cursor.execute(prefix + query["sql"])
            for row in cursor.fetchall():
                print(f"    {row[-1]}")


def measure(args) -> bool:
    from django.db import connection
    from django.test import Client

    from messaging.operations.gauges import DatabaseCollector

    client = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    def scrape():
        response = client.get("/metrics")
        assert response.status_code == 200, response.status_code
        return response

    def gauges():
        list(DatabaseCollector().collect())
        connection.close()  # as a request ends: a web process's connection goes back to its pool

    record_metrics()
    lines = [("database gauges", time_ms(gauges, args.runs)), ("GET /metrics", time_ms(scrape, args.runs))]
    merging = []
    for _ in range(args.runs):  # each scrape merges what the exited processes left since the last
        files = exited_processes_files(args.processes)
        merging.append(_timed(scrape))
    lines.append((f"GET /metrics, merging {files} files", merging))
    size = len(scrape().content)
    print(f"\n{'':<40} {'median ms':>10} {'max ms':>8}   ({args.runs} runs each; a scrape is {size:,} bytes)")
    for label, timings in lines:
        print(f"{label:<40} {statistics.median(timings):>10.1f} {max(timings):>8.1f}")
    if args.explain:
        explain()
    return statistics.median(lines[0][1]) < TARGET_MS


def main() -> int:
    args = parse_args()
    with scratch_dir("metrics-bench-", keep=args.keep) as var_dir:
        server = Server(args.database_url, args.keep) if args.database_url else None
        with server or contextlib.nullcontext():
            setup_django(var_dir, server.database_url() if server else f"sqlite:///{var_dir / 'db.sqlite3'}")
            from django.core.management import call_command
            from django.db import connection

            call_command("migrate", verbosity=0)
            population = admin_million.populate(args.rows)
            if args.backlog:
                add_backlog(population, args.backlog)
            analyze()
            print(f"{connection.vendor}; {args.rows:,} journal entries; load average {_load()}")
            fast = measure(args)
            print(f"\nthe gauges took under {TARGET_MS} ms" if fast else f"\nthe gauges took {TARGET_MS} ms or more")
            return 0 if fast else 1


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
