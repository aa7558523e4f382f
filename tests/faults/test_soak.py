"""A soak: 100,000 messages through the workers while 1,000 dashboard sockets connect and disconnect;
the workers' and the web server's memory stays flat."""

import threading
import time
from pathlib import Path

import pytest
from django.db import transaction
from websockets.sync.client import connect

import messaging
from messaging.models import Delivery, DeliveryStatus
from tests.faults import ledger
from tests.faults.scenario import judge
from tests.faults.stack import live_workers
from tests.faults.stream import staff_cookie
from tests.processes import wait_until
from tests.testapp.contracts import Positive

MESSAGES = 100_000
BATCH = 1_000
SOCKET_CYCLES = 1_000
WARM_SOCKET_CYCLES = 1_000  # daphne's memory grows while its allocator and pools warm up, then levels off
GROWTH_ALLOWED = 1.25  # a quarter more than after the warm-up, at most
WEB_GROWTH_ALLOWED_KB = 8 * 1024  # 8 KiB a connection would be a leak


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cluster_rss_kb(cluster) -> int:
    """The supervisor and every process of its cluster (workers are recycled, so their pids change)."""
    return sum(rss_kb(pid) for pid in {cluster.process.pid, *cluster.children(), *live_workers(cluster)})


def publish(count: int, start: int) -> None:
    for first in range(start, start + count, BATCH):
        with transaction.atomic():
            for number in range(first, first + BATCH):
                messaging.publish(Positive(number=number))


def succeeded() -> int:
    return Delivery.objects.filter(handler="tests.positive", status=DeliveryStatus.SUCCEEDED).count()


def socket_cycles(address: str, cookie: str, cycles: int, errors: list) -> None:
    for _ in range(cycles):
        try:
            with connect(
                f"ws://{address}/ws/dashboard/",
                origin=f"http://{address}",
                proxy=None,
                additional_headers={"Cookie": f"sessionid={cookie}"},
                open_timeout=10,
            ) as socket:
                socket.recv(timeout=10)  # the newest entries: the server did its work for this client
        except Exception as error:  # counted and reported: a thread cannot fail the test itself
            errors.append(error)


@pytest.mark.soak
def test_16_soak_100k_messages_and_1000_socket_cycles_with_memory_flat(stack, shop, report):
    cluster, web = stack.clusters[0], stack.webs[0]
    address, cookie, errors = stack.url.removeprefix("http://"), staff_cookie(), []
    warm = 10_000
    publish(warm, 1)
    socket_cycles(address, cookie, WARM_SOCKET_CYCLES, errors)
    wait_until(lambda: succeeded() >= warm, timeout=300, interval=1, message="the warm-up")
    cluster_before, web_before = cluster_rss_kb(cluster), rss_kb(web.process.pid)

    began = time.monotonic()
    sockets = threading.Thread(target=socket_cycles, args=(address, cookie, SOCKET_CYCLES, errors))
    sockets.start()
    publish(MESSAGES - warm, warm + 1)
    wait_until(lambda: succeeded() >= MESSAGES, timeout=1200, interval=2, message="100,000 messages handled")
    sockets.join(600)
    took = time.monotonic() - began
    ledger.settle()
    cluster_after, web_after = cluster_rss_kb(cluster), rss_kb(web.process.pid)

    figures = {
        "messages": MESSAGES,
        "per_second": round((MESSAGES - warm) / took),
        "socket_cycles": SOCKET_CYCLES,
        "socket_errors": len(errors),
        "cluster_rss_mb": f"{cluster_before / 1024:.0f}->{cluster_after / 1024:.0f}",
        "web_rss_mb": f"{web_before / 1024:.0f}->{web_after / 1024:.0f}",
    }
    judge(stack, shop, report, **figures)
    assert errors == [], errors[:3]
    assert cluster_after <= cluster_before * GROWTH_ALLOWED, figures
    assert web_after - web_before <= WEB_GROWTH_ALLOWED_KB, figures
