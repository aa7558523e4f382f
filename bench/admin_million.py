"""Time the messaging admin's lists on a throw-away SQLite database of N journal rows.

    .venv/bin/python bench/admin_million.py               # 1,000,000 journal entries
    .venv/bin/python bench/admin_million.py --rows 100000

Creates a database in a temp dir, migrates it, bulk-inserts N journal entries
and N/5 messages, each with one delivery (2% of them dead letters), then gets
each admin page through Django's test client as a logged-in superuser and
prints the median of 5 timings. Target: every page under 300 ms.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere
from bench.scratch import scratch_dir

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 300
BATCH = 20_000
JOURNAL_STEPS = ("published", "started", "failed", "retry_scheduled", "started", "succeeded")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="journal entries (messages: rows/5)")
    parser.add_argument("--runs", type=int, default=5, help="timed gets per page (default 5)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (prints its path)")
    return parser.parse_args()


def setup_django(var_dir: Path) -> None:
    os.environ.update(
        {
            "MARKETPLACE_VAR_DIR": str(var_dir),
            "DEBUG": "1",
            "ALLOWED_HOSTS": "testserver",
            "DJANGO_SETTINGS_MODULE": "marketplace.settings",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("DATABASE_URL", None)  # always the temp SQLite file, never a real database
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


class Population:
    """Messages in flows of 3 (one correlation id each), journal steps spread over them."""

    def __init__(self, rows: int):
        from messaging.runtime.registry import registry

        self.journal_rows = rows
        self.message_rows = max(rows // 5, 1)
        self.start = datetime.now(UTC) - timedelta(days=30)
        self.types = sorted(registry.messages.values(), key=lambda cls: cls.name)
        self.handlers = sorted(registry.handlers.values(), key=lambda h: h.name)
        self.ids = [uuid.uuid4() for _ in range(self.message_rows)]
        self.correlations = [str(uuid.uuid4()) for _ in range(self.message_rows // 3 + 1)]
        self.random = random.Random(42)

    def message(self, i: int) -> dict:
        contract = self.types[i % len(self.types)]
        flow, position = divmod(i, 3)
        return {
            "id": self.ids[i].hex,
            "kind": contract.kind,
            "type": contract.name,
            "version": 1,
            "context": contract.context,
            "payload": json.dumps({"order_id": str(uuid.uuid4()), "vendor_ids": [i % 50 + 1]}),
            "correlation_id": self.correlations[flow],
            "causation_id": str(self.ids[i - 1]) if position else "",
            "reply_to": "",
            "created_at": self.moment(i),
            "not_before": None,
            "signature": "0" * 64,
        }

    def delivery(self, i: int) -> dict:
        handler = self.handlers[i % len(self.handlers)]
        roll = self.random.random()
        status = "dead" if roll < 0.02 else "failed" if roll < 0.025 else "pending" if roll < 0.03 else "succeeded"
        error = "ConnectionError: vendor gateway timed out" if status in ("dead", "failed") else ""
        return {
            "id": i + 1,
            "message_id": self.ids[i].hex,
            "handler": handler.name,
            "context": handler.context,
            "status": status,
            "attempts": 5 if status == "dead" else 1,
            "max_attempts": 5,
            "available_at": self.moment(i),
            "lease_token": None,
            "lease_expires_at": None,
            "last_error": error,
            "traceback": f"Traceback (most recent call last):\n  ...\n{error}\n" if error else "",
            "result": None,
            "created_at": self.moment(i),
            "updated_at": self.moment(i),
            "finished_at": self.moment(i) if status in ("dead", "succeeded") else None,
        }

    def journal(self, n: int) -> dict:
        i = n * self.message_rows // self.journal_rows  # the message this step belongs to
        contract = self.types[i % len(self.types)]
        step = JOURNAL_STEPS[n % len(JOURNAL_STEPS)]
        by_handler = step != "published"
        return {
            "at": self.moment(i),
            "step": step,
            "message_id": self.ids[i].hex,
            "kind": contract.kind,
            "type": contract.name,
            "context": contract.context,
            "handler": self.handlers[i % len(self.handlers)].name if by_handler else "",
            "attempt": 1 if by_handler else None,
            "duration_ms": 12.5 if by_handler else None,
            "correlation_id": self.correlations[i // 3],
            "causation_id": "",
            "actor": "bench",
            "detail": "",
        }

    def moment(self, i: int) -> str:
        # How Django stores an aware UTC datetime in SQLite.
        return (self.start + timedelta(seconds=i * 10)).strftime("%Y-%m-%d %H:%M:%S.%f")


def insert(model, rows) -> None:
    """``executemany`` in batches: a million rows in seconds, where ``save()`` takes minutes."""
    from django.db import connection

    rows = iter(rows)
    first = next(rows)
    columns = list(first)  # the builders name the columns; the journal's seq is left to the database
    sql = 'INSERT INTO "{}" ({}) VALUES ({})'.format(
        model._meta.db_table, ", ".join(f'"{c}"' for c in columns), ", ".join(["%s"] * len(columns))
    )
    with connection.cursor() as cursor:
        batch = [tuple(first.values())]
        for row in rows:
            batch.append(tuple(row.values()))
            if len(batch) == BATCH:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)


def populate(rows: int) -> Population:
    from django.db import transaction

    from messaging.models import Delivery, JournalEntry, Message

    population = Population(rows)
    started = time.perf_counter()
    with transaction.atomic():
        insert(Message, map(population.message, range(population.message_rows)))
        insert(Delivery, map(population.delivery, range(population.message_rows)))
        insert(JournalEntry, map(population.journal, range(population.journal_rows)))
    print(
        f"inserted {population.journal_rows:,} journal entries, {population.message_rows:,} messages "
        f"and as many deliveries in {time.perf_counter() - started:.1f}s"
    )
    return population


def pages(population: Population) -> list[tuple[str, str]]:
    from django.urls import reverse

    from messaging.models import DeadLetter

    def url(name: str, query: str = "") -> str:
        return reverse(f"admin:messaging_{name}_changelist") + (f"?{query}" if query else "")

    correlation = population.correlations[len(population.correlations) // 2]
    message_id = population.ids[len(population.ids) // 2]
    dead = DeadLetter.objects.order_by("-id").values_list("id", flat=True).first()
    some_type = population.types[0].name
    some_handler = population.handlers[0].name
    return [
        ("journal", url("journalentry")),
        ("journal, page 100", url("journalentry", "p=100")),
        ("journal, search correlation id", url("journalentry", f"q={correlation}")),
        ("journal, search message id", url("journalentry", f"q={message_id}")),
        ("journal, filter step=failed", url("journalentry", "step__exact=failed")),
        ("journal, filter kind=command", url("journalentry", "kind__exact=command")),
        ("journal, filter context", url("journalentry", f"context={population.types[0].context}")),
        ("journal, filter matching nothing (scan)", url("journalentry", "kind__exact=command&context=nowhere")),
        ("messages", url("message")),
        ("messages, search correlation id", url("message", f"q={correlation}")),
        ("messages, search short id", url("message", f"q={str(message_id)[:8]}")),
        ("messages, filter type", url("message", f"type={some_type}")),
        ("messages, filter kind=command", url("message", "kind__exact=command")),
        ("messages, filter matching nothing (scan)", url("message", "context=nowhere")),
        ("message page", reverse("admin:messaging_message_change", args=[message_id])),
        ("deliveries", url("delivery")),
        ("deliveries, search correlation id", url("delivery", f"q={correlation}")),
        ("deliveries, filter status=dead", url("delivery", "status__exact=dead")),
        ("deliveries, filter handler", url("delivery", f"handler={some_handler}")),
        ("dead letters", url("deadletter")),
        ("dead letters, search correlation id", url("deadletter", f"q={correlation}")),
        ("dead letters, filter handler", url("deadletter", f"handler={some_handler}")),
        ("dead letter page", reverse("admin:messaging_deadletter_change", args=[dead])),
    ]


def time_pages(population: Population, runs: int) -> bool:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.create_superuser("bench", "bench@example.com", "bench"))
    all_fast = True
    print(f"\n{'page':<40} {'median ms':>10} {'max ms':>8}")
    for label, url in pages(population):
        timings = time_get(client, url, runs)
        median = statistics.median(timings)
        all_fast &= median < TARGET_MS
        flag = "" if median < TARGET_MS else f"  over {TARGET_MS} ms"
        print(f"{label:<40} {median:>10.1f} {max(timings):>8.1f}{flag}")
    return all_fast


def time_get(client, url: str, runs: int) -> list[float]:
    """Milliseconds of ``runs`` GETs of ``url``, after one warm-up (templates, caches, the OS page cache)."""
    timings = []
    for run in range(runs + 1):
        started = time.perf_counter()
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if run:
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> int:
    args = parse_args()
    with scratch_dir("admin-bench-", keep=args.keep) as var_dir:
        setup_django(var_dir)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        population = populate(args.rows)
        all_fast = time_pages(population, args.runs)
        print(f"\nall pages under {TARGET_MS} ms" if all_fast else f"\nsome pages took {TARGET_MS} ms or more")
        return 0 if all_fast else 1


if __name__ == "__main__":
    sys.exit(main())
