"""The metric files: merged at a scrape once their processes have exited, totals kept; removed as a deployment
starts (``manage.py messaging_metrics_reset``), never from under a process that still writes there."""

import fcntl
import io
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from prometheus_client.multiprocess import MultiProcessCollector

from messaging.runtime.telemetry import metric_files
from tests.messaging.metrics_helpers import TOKEN

RECORD = """
from prometheus_client import Counter, Histogram
Counter("demo_total", "a demo", ["kind"]).labels("a").inc(2)
Histogram("demo_seconds", "a demo", ["kind"], buckets=(0.1, 1)).labels("a").observe(0.5)
print("recorded", flush=True)
"""


@pytest.fixture
def files_dir(tmp_path, monkeypatch, settings):
    """Metrics on, in a directory of this test's own."""
    settings.METRICS_TOKEN = TOKEN
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    return tmp_path


def recorded_and_exited(directory) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    subprocess.run([sys.executable, "-c", RECORD], env=env, check=True, capture_output=True)


@pytest.fixture
def still_recording(files_dir):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(files_dir)}
    code = f"{RECORD}\nimport time\ntime.sleep(60)"
    process = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "recorded\n"
    yield process
    process.kill()
    process.wait()


def totals(collector) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for m in collector.collect() for s in m.samples}


def names(directory) -> set[str]:
    return {path.name for path in directory.glob("*.db")}


# --- merged at a scrape -------------------------------------------------------------------------------------


def test_a_scrape_merges_the_files_of_processes_that_have_exited_and_the_totals_stay(files_dir, still_recording):
    recorded_and_exited(files_dir)
    recorded_and_exited(files_dir)
    unmerged = totals(MultiProcessCollector(None, path=str(files_dir)))

    with metric_files.reading() as recorded:
        merged = totals(recorded)

    assert merged == unmerged
    assert merged[("demo_total", (("kind", "a"),))] == 6
    assert merged[("demo_seconds_bucket", (("kind", "a"), ("le", "1.0")))] == 3
    assert names(files_dir) == {
        "counter_archive.db",
        "histogram_archive.db",
        f"counter_{still_recording.pid}.db",  # still running: its own
        f"histogram_{still_recording.pid}.db",
    }
    # and the next process to exit is merged into the archive, adding to it
    recorded_and_exited(files_dir)
    with metric_files.reading() as recorded:
        assert totals(recorded)[("demo_total", (("kind", "a"),))] == 8
    assert len(names(files_dir)) == 4


def test_a_scrape_while_another_reads_merges_nothing_and_reads_it_all(files_dir):
    recorded_and_exited(files_dir)
    with open(files_dir / metric_files.LOCK, "a") as another:
        fcntl.flock(another, fcntl.LOCK_SH)  # another web process is scraping

        with metric_files.reading() as recorded:
            seen = totals(recorded)

    assert seen[("demo_total", (("kind", "a"),))] == 2
    assert "counter_archive.db" not in names(files_dir)


# --- removed as a deployment starts -------------------------------------------------------------------------


def reset() -> str:
    out = io.StringIO()
    call_command("messaging_metrics_reset", stdout=out)
    return out.getvalue()


def test_the_files_are_removed_once_every_process_that_wrote_them_has_exited(files_dir):
    recorded_and_exited(files_dir)
    with metric_files.reading():
        pass  # merged: an archive
    recorded_and_exited(files_dir)

    output = reset()

    assert names(files_dir) == set()
    assert output == f"Removed 4 metric files from {files_dir}.\n"


def test_nothing_is_removed_while_a_process_that_wrote_there_runs(files_dir, still_recording):
    recorded_and_exited(files_dir)

    output = reset()

    assert len(names(files_dir)) == 4
    assert f"processes {still_recording.pid} still write there" in output


def test_without_a_token_nothing_is_touched(files_dir, settings):
    recorded_and_exited(files_dir)
    settings.METRICS_TOKEN = ""

    output = reset()

    assert len(names(files_dir)) == 2
    assert output.startswith("Metrics are off")
