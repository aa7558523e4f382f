"""replay_messages over 100,000 dead deliveries: memory stays flat, time stays reasonable.

The command runs in a child process on the test database; ``os.wait4`` gives that
child's own peak RSS. A replay of 1,000 is the baseline: streaming in batches,
100 times as many deliveries must not need more memory than that.
"""

import os
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest

from messaging.models import Delivery, DeliveryStatus, JournalEntry, Step
from tests import processes
from tests.messaging.replay_helpers import bulk_dead_letters

COUNT = 100_000


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float


def run_measured(*args: str, tmp_path) -> Run:
    """``manage.py *args`` in a child process; its exit code, output, wall time and own peak RSS."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": processes.test_database_url()}
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    started = time.monotonic()
    with out.open("w") as stdout, err.open("w") as stderr:
        child = subprocess.Popen(
            [sys.executable, "manage.py", *args], cwd=processes.ROOT, env=env, stdout=stdout, stderr=stderr
        )
    _, status, usage = os.wait4(child.pid, 0)  # the child's own resource usage (Linux: ru_maxrss in KiB)
    child.returncode = os.waitstatus_to_exitcode(status)
    return Run(child.returncode, out.read_text(), err.read_text(), time.monotonic() - started, usage.ru_maxrss / 1024)


@pytest.mark.django_db(transaction=True)
def test_replaying_100000_dead_deliveries_keeps_memory_flat_and_takes_seconds(tmp_path):
    started = time.monotonic()
    bulk_dead_letters(COUNT)
    inserted = time.monotonic() - started

    baseline = run_measured("replay_messages", "--status", "dead", "--limit", "1000", "--yes", tmp_path=tmp_path)
    full = run_measured("replay_messages", "--status", "dead", "--yes", tmp_path=tmp_path)

    assert baseline.returncode == 0, baseline.stderr
    assert full.returncode == 0, full.stderr
    assert full.stdout == f"Matched {COUNT - 1000}, enqueued {COUNT - 1000}, skipped 0, failed 0.\n"
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == COUNT
    assert JournalEntry.objects.filter(step=Step.REPLAYED).count() == COUNT
    print(f"inserted in {inserted:.1f}s; peak RSS {baseline.peak_rss_mb:.0f} MB for 1,000,", end=" ")
    print(f"{full.peak_rss_mb:.0f} MB for {COUNT - 1000:,} replayed in {full.seconds:.1f}s")
    assert full.peak_rss_mb - baseline.peak_rss_mb < 20, (baseline.peak_rss_mb, full.peak_rss_mb)
    assert full.seconds < 40
