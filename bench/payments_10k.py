"""Orders placed and paid over HTTP on PostgreSQL with two clusters: how many payments fail, how many deadlocks.

    .ci/postgres.sh start                                    # a throw-away PostgreSQL on 127.0.0.1:54329
    .venv/bin/python bench/payments_10k.py                  # 10,000 orders at 30/s
    .venv/bin/python bench/payments_10k.py --orders 1000 --rate 50 --clusters 2 --webs 2

Creates a fresh database on the server of ``--server`` (default: .ci/postgres.sh's), migrates it, and
starts two daphne processes, ``--clusters`` supervised ``qcluster`` processes and a sweeper on it (the
project's own settings, DEBUG off). Customers (threads, each with its own session) place and pay orders
over HTTP at ``--rate`` in all, spread over the web processes; each order has one product of each of two
vendors. Then it waits until every paid order has reached both vendors and prints: orders, failed
requests (anything but the order page after paying: a 500, a 503 "busy, try again", a refused
connection), payments that failed, the deadlocks PostgreSQL detected (``pg_stat_database``) and the
services that ran again after losing one (logged "lost a race"), vendor notifications missing or
doubled, and the rates reached. Goal: 0 failed payments.
"""

import argparse
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import scratch_dir  # noqa: E402
from tests.faults.shopper import Load  # noqa: E402 (the fault suite's HTTP customers)

DAPHNE = str(Path(sys.executable).parent / "daphne")
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:54329/postgres"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=30.0, help="orders per second in all (default 30)")
    parser.add_argument("--customers", type=int, default=12, help="concurrent customers (default 12)")
    parser.add_argument("--clusters", type=int, default=2)
    parser.add_argument("--webs", type=int, default=2)
    parser.add_argument("--server", default=DEFAULT_SERVER, help="a PostgreSQL URL whose server gets a new database")
    parser.add_argument("--keep", action="store_true", help="keep the logs' directory and the database")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    database = f"marketplace_bench_{os.getpid()}"
    server = urllib.parse.urlparse(args.server)
    url = server._replace(path=f"/{database}").geturl()
    with scratch_dir("marketplace-payments-", keep=args.keep) as var:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "marketplace.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "MARKETPLACE_VAR_DIR": str(var),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("REDIS_URL", None)
        os.environ.update(env)
        admin(args.server, f"CREATE DATABASE {database}")
        processes = []
        try:
            manage("migrate", "--no-input", "-v0", env=env)
            manage("collectstatic", "--no-input", "-v0", env=env)  # DEBUG off: the manifest storage needs it
            import django

            django.setup()
            lines = shop()
            deadlocks_before = deadlocks(database)
            processes = start(args, env, var)
            ports = [port for port, _ in processes[: args.webs]]
            report = run(args, ports, lines, database, deadlocks_before, var)
        finally:
            for _, process in reversed(processes):
                process.terminate()
            for _, process in processes:
                process.wait(30)
            from django.db import connections

            connections.close_all()
            if not args.keep:
                admin(args.server, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    print(report)
    return 0


def admin(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(sql)


def manage(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, check=True)


def shop() -> dict[int, tuple[int, Decimal]]:
    """Two vendors, a product each with stock for every order; listed through Vendors' services.

    No vendor accepts an order here, so the vendors' time to answer is a day: no order is cancelled meanwhile.
    """
    from django.db import transaction

    from orders.services.settings import store_settings_update
    from vendors import services

    store_settings_update(vendor_timeout_seconds=24 * 3600)
    with transaction.atomic():
        grocer = services.vendor_create(name="Green Grocer", kind="supermarket")
        books = services.vendor_create(name="Page Turner", kind="store")
        apples = services.product_list(vendor=grocer, product_name="Apples", price=Decimal("2.50"), stock=10**7)
        atlas = services.product_list(vendor=books, product_name="Atlas", price=Decimal("30.00"), stock=10**7)
    return {apples.pk: (1, apples.price), atlas.pk: (1, atlas.price)}


def start(args, env: dict, var: Path) -> list[tuple[int, subprocess.Popen]]:
    from tests.processes import answers, free_port

    started = []

    def spawn(command: list[str], name: str, port: int = 0) -> subprocess.Popen:
        log = (var / f"{name}.log").open("ab")
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append((port, process))
        return process

    for n in range(args.webs):
        port = free_port()
        spawn([DAPHNE, "-b", "127.0.0.1", "-p", str(port), "marketplace.asgi:application"], f"web-{n}", port)
    for n in range(args.clusters):
        spawn([sys.executable, str(ROOT / "manage.py"), "qcluster"], f"qcluster-{n}")
    spawn([sys.executable, str(ROOT / "manage.py"), "messaging_sweeper"], "sweeper")
    deadline = time.monotonic() + 60
    for port, _ in started[: args.webs]:
        while not answers(f"http://127.0.0.1:{port}/admin/login/"):
            if time.monotonic() > deadline:
                raise RuntimeError("the web processes did not start")
            time.sleep(0.2)
    from orders.models import CatalogProduct

    while CatalogProduct.objects.count() < 2:  # the workers carried the catalogue to Orders
        if time.monotonic() > deadline:
            raise RuntimeError("the catalogue did not reach Orders: are the clusters running?")
        time.sleep(0.2)
    return started


def run(args, ports: list[int], lines, database: str, deadlocks_before: int, var: Path) -> str:
    per_web = [
        Load(f"http://127.0.0.1:{port}", lines, rate=args.rate / len(ports), customers=args.customers // len(ports))
        for port in ports
    ]
    began = time.monotonic()
    for load in per_web:
        load.start()
    progress = threading.Event()
    while sum(len(load.outcomes) for load in per_web) < args.orders:
        done = sum(len(load.outcomes) for load in per_web)
        if sys.stderr.isatty():
            print(f"\r{done:,} / {args.orders:,} orders", end="", file=sys.stderr, flush=True)
        progress.wait(1)
    for load in per_web:
        load.stop()
    placing = time.monotonic() - began
    outcomes = [outcome for load in per_web for outcome in load.outcomes]
    print(file=sys.stderr)
    drained = wait_notified(timeout=600)
    return summary(args, outcomes, placing, time.monotonic() - began, drained, database, deadlocks_before, var)


def wait_notified(timeout: float) -> bool:
    from django.db.models import Count

    from orders.models import Order
    from vendors.models import VendorNotification

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        paid = Order.objects.filter(paid_at__isnull=False).count()
        pairs = VendorNotification.objects.values("order_id").annotate(n=Count("id")).filter(n=2).count()
        if pairs >= paid:
            return True
        time.sleep(1)
    return False


def deadlocks(database: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = %s", [database])
        return cursor.fetchone()[0]


def summary(args, outcomes, placing: float, total: float, drained: bool, database, deadlocks_before, var) -> str:
    from django.db.models import Count

    from orders.models import Order, Payment
    from vendors.models import VendorNotification

    failed_requests = [o for o in outcomes if o.placed != 200 or o.paid != 200]
    paid = Order.objects.filter(paid_at__isnull=False).count()
    payments = Payment.objects.filter(status__in=(Payment.Status.SUCCEEDED, Payment.Status.REFUNDED)).count()
    notes = VendorNotification.objects.values("order_id", "vendor_id").annotate(n=Count("id"))
    doubled = notes.filter(n__gt=1).count()
    missing = 2 * paid - notes.count()
    from messaging.models import JournalEntry

    raced = sum(log.read_text(errors="replace").count("lost a race") for log in var.glob("*.log"))
    worker_races = JournalEntry.objects.filter(step="failed", detail__icontains="deadlock detected").count()
    time.sleep(6)  # pg_stat_database is updated every few hundred milliseconds
    lines = [
        f"orders placed and paid over HTTP: {len(outcomes):,} at {args.rate:g}/s asked, "
        f"{len(outcomes) / placing:.1f}/s reached ({args.webs} web processes, {args.clusters} clusters, PostgreSQL)",
        f"failed requests: {len(failed_requests)}" + (f" (first: {failed_requests[0]})" if failed_requests else ""),
        f"failed payments: {len(outcomes) - paid} (orders paid {paid:,}, successful charges {payments:,})",
        f"deadlocks detected by PostgreSQL: {deadlocks(database) - deadlocks_before}; lost by web requests and "
        f"run again: {raced}; lost by deliveries and retried (not charged to a breaker): {worker_races}",
        f"vendor notifications: {notes.count():,} for {paid:,} paid orders x 2 vendors; missing {missing}, "
        f"doubled {doubled}; {'all' if drained else 'NOT all'} delivered, {total:.0f} s in all",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
