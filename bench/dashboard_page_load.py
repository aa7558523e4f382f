"""Time every dashboard page on a throw-away SQLite database of N journal rows.

    .venv/bin/python bench/dashboard_page_load.py               # 1,000,000 journal entries
    .venv/bin/python bench/dashboard_page_load.py --rows 100000

Seeds the database as bench/admin_million.py does (its helpers: N journal
entries, N/5 messages with one delivery each, 2% dead letters), but ending now
at one message a second (``--per-second``), so the last hour is full (3,600
messages and their steps), commands journaled as "sent"; plus paid orders in
both styles whose ids are the flows' correlation ids. Then gets each dashboard page through Django's test
client as a logged-in staff user and prints the median of 5 timings.
Target: every page under 300 ms. A page not (yet) routed is reported and skipped.
"""

import argparse
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import admin_million
from bench.scratch import scratch_dir

TARGET_MS = admin_million.TARGET_MS


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="journal entries (messages: rows/5)")
    parser.add_argument("--orders", type=int, default=20_000, help="paid orders, half in each style")
    parser.add_argument(
        "--per-second",
        type=float,
        default=1.0,
        help="messages written per second, ending now (default 1: the last hour holds 3,600; "
        "50 puts all of a million-row journal in the last 67 minutes)",
    )
    parser.add_argument("--runs", type=int, default=5, help="timed gets per page (default 5)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (prints its path)")
    return parser.parse_args()


class RecentPopulation(admin_million.Population):
    """admin_million's population, its newest message written a second ago; commands are "sent"."""

    def __init__(self, rows: int, per_second: float):
        super().__init__(rows)
        self.spacing = 1 / per_second
        self.start = datetime.now(UTC) - timedelta(seconds=self.message_rows * self.spacing + 1)

    def moment(self, i: int) -> str:
        return (self.start + timedelta(seconds=i * self.spacing)).strftime("%Y-%m-%d %H:%M:%S.%f")

    def journal(self, n: int) -> dict:
        row = super().journal(n)
        if row["step"] == "published" and row["kind"] == "command":
            row["step"] = "sent"
        return row


def add_orders(population: RecentPopulation, count: int) -> None:
    """Paid orders, newest last, whose ids are the newest flows' correlation ids (one vendor each)."""
    from orders.models import Order, OrderVendor

    flows = population.correlations[-count:]
    first = 3 * (len(population.correlations) - len(flows))  # the first message of the first flow
    orders, vendors = [], []
    for n, correlation in enumerate(flows):
        flow_start = population.moment(min(first + 3 * n, population.message_rows - 1))
        status = "paid" if n % 50 == 0 else "vendor_notified"
        orders.append(
            {
                "id": uuid.UUID(correlation).hex,
                "customer_name": f"Customer {n}",
                "customer_email": f"customer{n}@example.com",
                "status": status,
                "style": ("event", "command")[n % 2],
                "total": "2.50",
                "cancel_reason": "",
                "created_at": flow_start,
                "updated_at": flow_start,
                "paid_at": flow_start,
            }
        )
        vendors.append(
            {
                "order_id": uuid.UUID(correlation).hex,
                "vendor_id": n % 50 + 1,
                "vendor_name": f"Vendor {n % 50 + 1}",
                "status": "waiting" if status == "paid" else "notified",
                "command_id": population.ids[min(first + 3 * n, len(population.ids) - 1)].hex,
                "acknowledged_at": None,
                "last_error": "",
                "updated_at": flow_start,
            }
        )
    admin_million.insert(Order, iter(orders))
    admin_million.insert(OrderVendor, iter(vendors))


def populate(rows: int, orders: int, per_second: float) -> RecentPopulation:
    from django.db import transaction

    from messaging.models import Delivery, JournalEntry, Message

    population = RecentPopulation(rows, per_second)
    started = time.perf_counter()
    with transaction.atomic():
        admin_million.insert(Message, map(population.message, range(population.message_rows)))
        admin_million.insert(Delivery, map(population.delivery, range(population.message_rows)))
        admin_million.insert(JournalEntry, map(population.journal, range(population.journal_rows)))
        add_orders(population, min(orders, len(population.correlations)))
    print(
        f"inserted {population.journal_rows:,} journal entries, {population.message_rows:,} messages, "
        f"as many deliveries and {orders:,} paid orders in {time.perf_counter() - started:.1f}s"
    )
    return population


def pages(population: RecentPopulation) -> list[tuple[str, str | None]]:
    from django.urls import NoReverseMatch, reverse

    from messaging.models import DeadLetter

    def url(name: str, **kwargs) -> str | None:
        try:
            return reverse(f"dashboard:{name}", kwargs=kwargs or None)
        except NoReverseMatch:
            return None

    correlation = population.correlations[-2]  # a recent order's conversation
    message_id = population.ids[len(population.ids) // 2]
    dead = DeadLetter.objects.order_by("-id").values_list("message_id", flat=True).first()
    return [
        ("live stream", url("stream")),
        ("flow view of one correlation", url("flow", correlation_id=correlation)),
        ("ledger of one message", url("ledger", message_id=message_id)),
        ("ledger of a dead letter's message", url("ledger", message_id=dead)),
        ("health", url("health")),
        ("health.json", url("health_json")),
        ("catalogue", url("catalogue")),
        ("trade-offs", url("tradeoffs")),
        ("dead letters", url("dead_letters")),
        ("controls", url("controls")),
    ]


def time_pages(population: RecentPopulation, runs: int) -> bool:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.create_user("bench", password="bench", is_staff=True))
    all_fast = True
    print(f"\n{'page':<36} {'median ms':>10} {'max ms':>8}")
    for label, url in pages(population):
        if url is None:
            print(f"{label:<36} {'not routed: skipped':>20}")
            continue
        timings = admin_million.time_get(client, url, runs)
        median = statistics.median(timings)
        all_fast &= median < TARGET_MS
        flag = "" if median < TARGET_MS else f"  over {TARGET_MS} ms"
        print(f"{label:<36} {median:>10.1f} {max(timings):>8.1f}{flag}")
    return all_fast


def main() -> int:

    args = parse_args()
    with scratch_dir("dashboard-bench-", keep=args.keep) as var_dir:
        admin_million.setup_django(var_dir)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        population = populate(args.rows, args.orders, args.per_second)
        all_fast = time_pages(population, args.runs)
        print(f"\nall pages under {TARGET_MS} ms" if all_fast else f"\nsome pages took {TARGET_MS} ms or more")
        return 0 if all_fast else 1


if __name__ == "__main__":
    sys.exit(main())
