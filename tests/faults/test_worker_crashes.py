"""Workers and whole clusters killed, frozen and wedged under load: the cluster heals itself, nothing is lost."""

import os
import signal
import time

from django.conf import settings
from django.utils import timezone

from messaging.models import JournalEntry, Step
from tests.faults.scenario import judge, restore, set_fault, start_load, wait_healed
from tests.faults.stack import busy_worker, kill, live_workers, queue_lock_holder, worker_pids
from tests.processes import wait_until

LEASE = settings.MESSAGING["handler_timeout"] + settings.MESSAGING["lease_grace"]


def test_01_kill_a_busy_worker(stack, shop, report):
    set_fault("vendors", latency_ms=800)  # attempts take a while: a worker is caught mid-handler
    load = start_load(stack, shop, rate=1.0)
    victim = wait_until(lambda: busy_worker(stack.clusters[0]), timeout=30, message="a worker mid-handler")

    fault_at, began = timezone.now(), time.monotonic()
    kill(victim)
    order_id = shop.buy_one(stack.url)
    restore("vendors")
    heal = wait_healed(fault_at, order_id, began=began)

    judge(stack, shop, report, load=load, heal=heal)
    assert victim not in worker_pids(stack.clusters[0])


def test_02_kill_the_idle_worker_that_holds_the_queue_lock(stack, shop, report):
    cluster = stack.clusters[0]
    holder = wait_until(lambda: queue_lock_holder(cluster), timeout=30, message="an idle worker reading the queue")

    fault_at, began = timezone.now(), time.monotonic()
    kill(holder)  # its replacement and the other worker now wait for a lock nobody will release
    order_id = shop.buy_one(stack.url)
    heal = wait_healed(fault_at, order_id, began=began, timeout=45)

    assert heal < 30, f"new deliveries ran only after {heal:.1f}s"
    restarted = JournalEntry.objects.get(step=Step.CLUSTER_RESTARTED)
    assert restarted.detail.startswith("wedged: ")
    load = start_load(stack, shop, rate=3.0, warm=6)
    judge(stack, shop, report, load=load, heal=heal)


def test_03_kill_the_whole_cluster_and_start_another(stack, shop, report):
    load = start_load(stack, shop, rate=3.0)
    cluster = stack.clusters[0]
    sentinel_group = os.getpgid(live_workers(cluster)[0])

    fault_at, began = timezone.now(), time.monotonic()
    kill(cluster.process.pid)
    os.killpg(sentinel_group, signal.SIGKILL)
    time.sleep(2)  # nothing runs: what was in flight waits for its lease to expire
    stack.start_cluster()
    order_id = shop.buy_one(stack.url)
    heal = wait_healed(fault_at, order_id, began=began)

    judge(stack, shop, report, load=load, heal=heal)
    assert JournalEntry.objects.filter(step=Step.CLUSTER_SILENT).count() == 1  # the sweeper said the old one died


def test_04_freeze_a_worker_past_its_lease_then_thaw_it(stack, shop, report):
    set_fault("vendors", latency_ms=1000)  # the worker sleeps outside any transaction: frozen, it holds no lock
    load = start_load(stack, shop, rate=1.0)
    frozen = wait_until(lambda: busy_worker(stack.clusters[0]), timeout=30, message="a worker mid-handler")

    fault_at, began = timezone.now(), time.monotonic()
    kill(frozen, signal.SIGSTOP)
    time.sleep(LEASE + 2)  # its lease expires; the sweeper hands the delivery to another worker
    kill(frozen, signal.SIGCONT)  # it wakes, finishes its handler, and its commit is refused
    restore("vendors")
    order_id = shop.buy_one(stack.url)
    heal = wait_healed(fault_at, order_id, began=began)

    judge(stack, shop, report, load=load, heal=heal)
    expired = JournalEntry.objects.filter(step=Step.FAILED, actor="sweeper", detail__startswith="lease expired")
    assert expired.exists()


def test_05_kill_the_sweeper_and_both_workers(stack, shop, report):
    load = start_load(stack, shop, rate=3.0)
    cluster = stack.clusters[0]

    fault_at, began = timezone.now(), time.monotonic()
    kill(stack.sweepers[0].process.pid)
    for pid in live_workers(cluster):
        kill(pid)
    order_id = shop.buy_one(stack.url)
    heal = wait_healed(fault_at, order_id, began=began)  # no sweeper: the cluster heals and sweeps by itself

    assert heal < 30, f"healed only after {heal:.1f}s"
    judge(stack, shop, report, load=load, heal=heal)
