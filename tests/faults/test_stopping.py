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
from vendors import services as vendors

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


def start_honcho(tmp_path) -> tuple[subprocess.Popen, Path, int]:
    """``make run``'s honcho on the Procfile, on the test database; once its web and sweeper answer."""
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
    except BaseException:
        os.killpg(honcho.pid, signal.SIGKILL)
        raise
    return honcho, log, port


def ctrl_c(honcho: subprocess.Popen) -> float:
    """SIGINT to honcho's group, as a terminal's Ctrl-C; returns how long everything took to stop."""
    try:
        began = time.monotonic()
        os.killpg(honcho.pid, signal.SIGINT)
        honcho.wait(HONCHO_KILL_WAIT + 15)
        return time.monotonic() - began
    finally:
        if honcho.poll() is None:
            os.killpg(honcho.pid, signal.SIGKILL)


def test_13b_ctrl_c_on_make_run_stops_honcho_cleanly(transactional_db, tmp_path):
    honcho, log, _ = start_honcho(tmp_path)
    time.sleep(2)  # the cluster's workers are up
    took = ctrl_c(honcho)
    output = log.read_text()

    assert "SIGKILL" not in output, output
    assert took < HONCHO_KILL_WAIT, (took, output)
    for name in ("web", "worker", "sweeper"):
        assert f"{name}.1 stopped (rc=0)" in output, output


def test_13c_ctrl_c_on_make_run_with_a_delivery_in_hand_stops_within_honchos_grace(transactional_db, tmp_path):
    # given make run's processes, and a worker in the middle of a slow handler (longer than honcho waits)
    honcho, log, _ = start_honcho(tmp_path)
    set_fault("orders", latency_ms=15_000)
    vendor = vendors.vendor_create(name="Slow Grocer", kind="supermarket")
    vendors.product_list(vendor=vendor, product_name="Pears", price="1.00", stock=5)  # Orders' catalog handles it
    wait_until(
        lambda: Delivery.objects.filter(status=DeliveryStatus.RUNNING).exists(), timeout=30, message="a delivery"
    )

    # when Ctrl-C
    took = ctrl_c(honcho)
    output = log.read_text()

    # then every process stopped on honcho's SIGTERM, none was left for its SIGKILL
    assert "SIGKILL" not in output, output
    for name in ("web", "worker", "sweeper"):
        assert f"{name}.1 stopped (rc=0)" in output, output
    assert took < HONCHO_KILL_WAIT + 3, (took, output)
