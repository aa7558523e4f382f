"""Time ``replay_messages --status dead --yes`` over N dead deliveries on a throw-away SQLite database.

    .venv/bin/python bench/replay_100k.py                 # 100,000 dead deliveries
    .venv/bin/python bench/replay_100k.py --count 20000 --batch-size 1000

Creates a database in a temp dir, migrates it, bulk-inserts N orders.OrderPaid
messages each with one dead delivery to orders.receipt_email, then runs the
command in a child process (the project's settings, no workers) and prints its
wall time (selection and enqueue, Django's start included) and its own peak RSS
(``os.wait4``). Goal: under 60 s and under 200 MB for 100,000.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere
from bench.scratch import scratch_dir

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS, GOAL_MB = 60, 200
BATCH = 20_000
MESSAGE_TYPE, HANDLER = "orders.OrderPaid", "orders.receipt_email"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="dead deliveries (default 100,000)")
    parser.add_argument("--batch-size", type=int, help="passed to replay_messages (default: its own)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (prints its path)")
    return parser.parse_args()


def environment(var_dir: Path) -> dict:
    env = {**os.environ, "MARKETPLACE_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "marketplace.settings"}
    env.update({"DEBUG": "1", "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"})
    env.pop("DATABASE_URL", None)  # always the temp SQLite file, never a real database
    return env


def manage(*args: str, env: dict) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run ``manage.py *args``; returns the result, wall seconds and the child's own peak RSS in MB."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, stdout=out, stderr=err
        )
        _, status, usage = os.wait4(child.pid, 0)  # Linux: ru_maxrss in KiB
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        result = subprocess.CompletedProcess(child.args, child.returncode, out.read(), err.read())
    return result, seconds, usage.ru_maxrss / 1024


def populate(database: Path, count: int) -> float:
    """N messages and N dead deliveries, straight into SQLite as Django stores them; returns seconds."""
    import sqlite3

    start = datetime.now(UTC) - timedelta(days=1)
    stamp = lambda moment: moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # noqa: E731  (Django's SQLite datetime)
    ids = [uuid.uuid4().hex for _ in range(count)]
    messages = (
        (ids[n], "event", MESSAGE_TYPE, 1, "orders", json.dumps({"order_id": str(uuid.uuid4()), "vendor_ids": [1]}),
         str(uuid.uuid4()), "", "", stamp(start + timedelta(milliseconds=n)), None, "0" * 64)
        for n in range(count)
    )  # fmt: skip
    now = stamp(datetime.now(UTC))
    deliveries = (
        (ids[n], HANDLER, "orders", "dead", 5, 5, now, "ConnectionError: smtp timed out", "", now, now, now)
        for n in range(count)
    )
    started = time.perf_counter()
    with sqlite3.connect(database) as db:
        db.executemany(
            "INSERT INTO messaging_message (id, kind, type, version, context, payload, correlation_id, causation_id,"
            " reply_to, created_at, not_before, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            messages,
        )
        db.executemany(
            "INSERT INTO messaging_delivery (message_id, handler, context, status, attempts, max_attempts,"
            " available_at, last_error, traceback, created_at, updated_at, finished_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            deliveries,
        )
    return time.perf_counter() - started


def main() -> int:
    args = parse_args()
    with scratch_dir("replay-bench-", keep=args.keep) as var_dir:
        env = environment(var_dir)
        migrated, _, _ = manage("migrate", "--no-input", "-v", "0", env=env)
        if migrated.returncode:
            print(migrated.stderr, file=sys.stderr)
            return 1
        inserted = populate(var_dir / "db.sqlite3", args.count)
        print(f"inserted {args.count:,} dead deliveries in {inserted:.1f}s")
        extra = ["--batch-size", str(args.batch_size)] if args.batch_size else []
        replay, seconds, peak_mb = manage("replay_messages", "--status", "dead", "--yes", *extra, env=env)
        print(replay.stdout.strip())
        if replay.returncode:
            print(replay.stderr.strip(), file=sys.stderr)
            return 1
        rate = args.count / seconds if seconds else 0
        print(
            f"replay_messages --status dead --yes: {seconds:.1f}s ({rate:,.0f} deliveries/s), peak RSS {peak_mb:.0f} MB"
        )
        within = seconds < GOAL_SECONDS and peak_mb < GOAL_MB
        print(f"goal: under {GOAL_SECONDS} s and {GOAL_MB} MB: " + ("met" if within else "NOT met"))
        return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
