"""SIGTERM to every process group with deliveries in flight, and Ctrl-C on ``make run``'s honcho: everything
stops within the grace period, what ran finished, what was claimed and not started was given back."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from messaging.models import Delivery, DeliveryStatus
from tests import processes
from tests.faults.scenario import judge, restore, set_fault, start_load
from tests.processes import ROOT, answers, free_port, wait_until

GRACE = settings.MESSAGING["stop_grace"]
HONCHO_KILL_WAIT = 5  # honcho sends SIGKILL to what is still running 5 s after its SIGTERM


def test_13_sigterm_to_every_process_group_with_deliveries_in_flight(stack, shop, report):
    set_fault("vendors", latency_ms=500)
    load = start_load(stack, shop, rate=3.0, warm=8)
    load.stop()
    assert Delivery.objects.filter(status__in=(DeliveryStatus.PENDING, DeliveryStatus.RUNNING)).exists()

    began = time.monotonic()
    for process in stack.all():
        os.killpg(process.process.pid, signal.SIGTERM)  # what honcho, systemd and container runtimes do
    took = {}
    for process in stack.all():
        process.process.wait(GRACE + 10)
        took[process.log.name] = round(time.monotonic() - began, 1)

    assert max(took.values()) <= GRACE + 1, took
    assert not Delivery.objects.filter(status=DeliveryStatus.RUNNING).exists()  # finished, or given back
    restore("vendors")
    stack.webs.clear(), stack.clusters.clear(), stack.sweepers.clear(), stack.ports.clear()
    stack.start_web(), stack.start_cluster(), stack.start_sweeper()
    judge(stack, shop, report, stopped_in=max(took.values()))


def test_13b_ctrl_c_on_make_run_stops_honcho_cleanly(transactional_db, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": processes.test_database_url(),
        "MARKETPLACE_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "honcho.log"
    honcho = subprocess.Popen([Path(sys.executable).parent / "honcho", "start"], cwd=ROOT, env=env,
                              stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/admin/login/"), timeout=30, message="make run's web")
        wait_until(lambda: "Sweeping every" in log.read_text(), timeout=30, message="make run's sweeper")
        time.sleep(2)  # the cluster's workers are up
        began = time.monotonic()
        honcho.send_signal(signal.SIGINT)  # Ctrl-C
        honcho.wait(HONCHO_KILL_WAIT + 10)
        took = time.monotonic() - began
    finally:
        if honcho.poll() is None:
            os.killpg(honcho.pid, signal.SIGKILL)
    output = log.read_text()

    assert "SIGKILL" not in output, output
    assert took < HONCHO_KILL_WAIT, (took, output)
    for name in ("web", "worker", "sweeper"):
        assert f"{name}.1 stopped (rc=0)" in output, output
