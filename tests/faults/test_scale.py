"""Two clusters and two sweepers share the work: each delivery runs once, each repair is made once."""

import time
from collections import Counter

from django.utils import timezone

from messaging.models import JournalEntry, Step
from tests.faults.scenario import judge, restore, set_fault, start_load, wait_healed
from tests.faults.stack import busy_worker, kill
from tests.processes import wait_until


def test_12_two_clusters_and_two_sweepers(stack, shop, report):
    second = stack.start_cluster()
    stack.start_sweeper()
    set_fault("vendors", latency_ms=600)
    load = start_load(stack, shop, rate=3.0, warm=6)
    victim = wait_until(lambda: busy_worker(second) or busy_worker(stack.clusters[0]), timeout=30,
                        message="a worker mid-handler")  # fmt: skip

    fault_at, began = timezone.now(), time.monotonic()
    kill(victim)  # its delivery is stranded: two sweepers and two supervisors may all see it
    time.sleep(3)
    restore("vendors")
    order_id = shop.buy_one(stack.url)
    heal = wait_healed(fault_at, order_id, began=began)

    judge(stack, shop, report, load=load, heal=heal, clusters=2, sweepers=2)
    expiries = JournalEntry.objects.filter(step=Step.FAILED, detail__startswith="lease expired")
    per_attempt = Counter(expiries.values_list("message_id", "handler", "attempt"))
    assert per_attempt and set(per_attempt.values()) == {1}  # each stranded attempt settled by exactly one
    succeeded = Counter(JournalEntry.objects.filter(step=Step.SUCCEEDED).values_list("message_id", "handler"))
    assert set(succeeded.values()) == {1}  # and every delivery succeeded once
