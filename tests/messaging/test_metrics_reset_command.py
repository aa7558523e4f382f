"""``manage.py messaging_metrics_reset``: a deployment starts without the metric files of the one before,
never taking them from a process that still writes there."""

import io
import os
import subprocess
import sys

import pytest
from django.core.management import call_command

from tests.messaging.metrics_helpers import TOKEN

RECORD = "from prometheus_client import Counter; Counter('demo_total', 'a demo').inc(); print('recorded', flush=True)"


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
    process = subprocess.Popen(
        [sys.executable, "-c", f"{RECORD}; import time; time.sleep(60)"], env=env, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline() == "recorded\n"
    yield process
    process.kill()
    process.wait()


def reset() -> str:
    out = io.StringIO()
    call_command("messaging_metrics_reset", stdout=out)
    return out.getvalue()


def test_the_files_of_processes_that_have_all_exited_are_removed(files_dir):
    recorded_and_exited(files_dir)
    recorded_and_exited(files_dir)
    assert len(list(files_dir.glob("counter_*.db"))) == 2

    output = reset()

    assert list(files_dir.iterdir()) == []
    assert output == f"Removed 2 metric files from {files_dir}.\n"


def test_nothing_is_removed_while_a_process_that_wrote_there_runs(files_dir, still_recording):
    recorded_and_exited(files_dir)

    output = reset()

    assert len(list(files_dir.glob("counter_*.db"))) == 2
    assert f"processes {still_recording.pid} still write there" in output


def test_without_a_token_nothing_is_touched(files_dir, settings):
    recorded_and_exited(files_dir)
    settings.METRICS_TOKEN = ""

    output = reset()

    assert len(list(files_dir.glob("*.db"))) == 1
    assert output.startswith("Metrics are off")
