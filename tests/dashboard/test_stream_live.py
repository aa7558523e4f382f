"""The live stream end to end: a real daphne, a real qcluster and sweeper, and a websocket client in this process.

An order is placed and paid through Orders' services; the cluster carries its conversation between Orders and
Vendors (other processes than daphne's), and the client must receive all of it, in seq order, once; killed
mid-stream and reconnected with ``?after=<last seq>``, it must miss nothing and get nothing twice.
"""

import json
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from messaging.models import WAITING_STATUSES, Delivery, DeliveryStatus, JournalEntry, Step
from messaging.runtime import journal
from orders.models import CatalogProduct, Order, Payment
from orders.services.payment import order_pay
from orders.services.placing import LineRequest, order_place
from tests.dashboard.conftest import session_cookie
from tests.processes import ManagedProcess, answers, free_port, wait_until
from vendors import services as vendors

pytestmark = pytest.mark.cluster

DAPHNE = str(Path(sys.executable).parent / "daphne")
REDIS_SERVER = Path("/usr/bin/redis-server")
ACK_EVERY = 0.1  # seconds: acks are cumulative, and at most 20 client frames a second are allowed


@pytest.fixture
def web(transactional_db, tmp_path_factory) -> str:
    """A real daphne serving marketplace.asgi on the test database; its address (host:port)."""
    port = free_port()
    process = start_daphne(port, tmp_path_factory.mktemp("daphne") / "daphne.log")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        process.stop()
        print(f"--- daphne ---\n{process.output()[-3000:]}")


def start_daphne(port: int, log: Path, env: dict[str, str] | None = None) -> ManagedProcess:
    process = ManagedProcess(
        "-b", "127.0.0.1", "-p", str(port), "marketplace.asgi:application",
        program=[DAPHNE], env={"DJANGO_ALLOW_ASYNC_UNSAFE": "", **(env or {})}, log=log,
    )  # fmt: skip
    wait_until(lambda: answers(f"http://127.0.0.1:{port}/admin/login/") or not process.alive(), message="daphne")
    assert process.alive(), f"daphne exited:\n{process.output()[-3000:]}"
    return process


@pytest.fixture
def shop(qcluster, sweeper):
    """Two vendors with a product each, listed through Vendors' services, once Orders' catalog has them."""
    with transaction.atomic():
        grocer = vendors.vendor_create(name="Green Grocer", kind="supermarket")
        books = vendors.vendor_create(name="Page Turner", kind="store")
        products = [
            vendors.product_list(vendor=grocer, product_name="Apples", price=Decimal("2.50"), stock=20),
            vendors.product_list(vendor=books, product_name="Atlas", price=Decimal("30.00"), stock=5),
        ]
    wait_until(lambda: CatalogProduct.objects.count() == 2, timeout=20, message="the catalog to reach Orders")
    return products


@pytest.fixture
def cookie(transactional_db) -> str:
    staff = get_user_model().objects.create_user("operator", password="x", is_staff=True)
    return session_cookie(staff)


class StreamClient:
    """A websocket client in a thread, as the browser's: records every entry, acks what it has received."""

    def __init__(self, address: str, cookie: str, *, after: int | None = None):
        query = "" if after is None else f"?after={after}"
        self.connection = connect(
            f"ws://{address}/ws/dashboard/{query}",
            origin=f"http://{address}",
            additional_headers={"Cookie": f"sessionid={cookie}"},
            proxy=None,
            max_size=2**24,
            open_timeout=10,
            legacy=True,  # the connection itself, closed by close() or kill()
        )
        self.entries: list[dict] = []
        self.frames = 0
        self.live = threading.Event()
        self.closed: ConnectionClosed | None = None
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        acked_at = 0.0
        try:
            for text in self.connection:
                frame = json.loads(text)
                self.frames += 1
                self.entries.extend(frame["entries"])
                if frame["entries"] and time.monotonic() - acked_at >= ACK_EVERY:
                    self.connection.send(json.dumps({"ack": frame["entries"][-1]["seq"]}))
                    acked_at = time.monotonic()
                if frame.get("live"):
                    self.live.set()
        except ConnectionClosed as closed:
            self.closed = closed
        except OSError as error:  # the socket killed under the reader
            self.closed = error

    @property
    def seqs(self) -> list[int]:
        return [entry["seq"] for entry in self.entries]

    @property
    def last_seq(self) -> int | None:
        return self.entries[-1]["seq"] if self.entries else None

    def wait_live(self) -> None:
        assert self.live.wait(10), "the stream did not go live"

    def wait_for(self, predicate, *, message: str, timeout: float = 30) -> None:
        wait_until(lambda: predicate(self) or self.closed, timeout=timeout, message=message)
        assert self.closed is None, f"the server closed the stream: {self.closed!r}"

    def kill(self) -> None:
        """Drop the TCP connection under the client, no closing handshake: a browser tab killed mid-stream."""
        self.connection.close_socket()
        self._thread.join(5)

    def close(self) -> None:
        self.connection.close()
        self._thread.join(5)


def place_and_pay(*products) -> Order:
    order = order_place(
        customer_name="Ada Lovelace",
        customer_email="ada@example.com",
        lines=[LineRequest(product_id=product.pk, quantity=1) for product in products],
    )
    assert order_pay(order_id=order.id, card_number="4242 4242 4242 4242").status == Payment.Status.SUCCEEDED
    return order


def conversation(order: Order) -> list[int]:
    return list(JournalEntry.objects.filter(correlation_id=str(order.pk)).order_by("seq").values_list("seq", flat=True))


def settled(*orders: Order) -> bool:
    """Every order told its vendors, and no delivery of their conversations is due or running (the delayed
    CheckVendorResponses waits for the vendor timeout: minutes)."""
    deliveries = Delivery.objects.filter(message__correlation_id__in=[str(order.pk) for order in orders])
    busy = deliveries.filter(
        Q(status=DeliveryStatus.RUNNING) | Q(status__in=WAITING_STATUSES, available_at__lte=timezone.now())
    )
    notified = Order.objects.filter(pk__in=[o.pk for o in orders], status=Order.Status.VENDOR_NOTIFIED).count()
    return notified == len(orders) and not busy.exists()


def journal_after(seq: int) -> list[int]:
    return list(JournalEntry.objects.filter(seq__gt=seq).order_by("seq").values_list("seq", flat=True))


def newest_seq() -> int:
    return JournalEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_a_paid_orders_whole_conversation_arrives_in_seq_order_once(web, shop, cookie):
    start = newest_seq()
    client = StreamClient(web, cookie, after=start)
    client.wait_live()

    order = place_and_pay(*shop)
    wait_until(lambda: settled(order), timeout=30, message="the order's conversation to settle")
    expected = conversation(order)
    client.wait_for(lambda c: (c.last_seq or 0) >= newest_seq(), message="the stream to catch up")
    client.close()

    assert len(expected) >= 10  # placed, paid, deliveries to Orders and Vendors, VendorNotified...
    received = [entry["seq"] for entry in client.entries if entry["correlation_id"] == str(order.pk)]
    assert received == expected
    assert client.seqs == journal_after(start)[: len(client.seqs)]  # every row after ?after=, in order, once
    assert set(client.seqs) >= set(expected)


def test_a_client_killed_mid_stream_resumes_after_its_last_seq_with_nothing_missing_or_doubled(web, shop, cookie):
    apples, atlas = shop
    start = newest_seq()
    first = StreamClient(web, cookie, after=start)
    first.wait_live()

    order = place_and_pay(apples, atlas)
    first.wait_for(lambda c: any(e["correlation_id"] == str(order.pk) for e in c.entries), message="a first entry")
    first.kill()  # mid-stream: the cluster is still working through the order's messages
    resumed_after = first.last_seq
    second_order = place_and_pay(apples)  # written while no client listens
    second = StreamClient(web, cookie, after=resumed_after)

    wait_until(lambda: settled(order, second_order), timeout=30, message="both conversations to settle")
    second.wait_for(lambda c: (c.last_seq or 0) >= newest_seq(), message="the resumed stream to catch up")
    second.close()

    both = first.seqs + second.seqs
    assert len(both) == len(set(both))  # nothing doubled
    assert both == journal_after(start)[: len(both)]  # nothing missing, in seq order
    for each in (order, second_order):
        received = [e["seq"] for e in first.entries + second.entries if e["correlation_id"] == str(each.pk)]
        assert received == conversation(each)


@pytest.fixture
def redis_url(tmp_path):
    """A throw-away redis-server on a free port (Debian's package), or the test is skipped."""
    if not REDIS_SERVER.exists():
        pytest.skip(f"{REDIS_SERVER} is missing: apt-get install -y redis-server")
    port = free_port()
    server = subprocess.Popen(
        [str(REDIS_SERVER), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: answers_tcp(port), timeout=10, message="redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)


def answers_tcp(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def write_entries(count: int) -> None:
    for n in range(count):
        journal.record(Step.CONTROL, actor="test", detail=f"entry {n}")
        time.sleep(0.01)


def test_with_channels_redis_two_web_processes_give_each_client_each_entry_once(cookie, redis_url, tmp_path):
    ports = [free_port(), free_port()]
    webs = [start_daphne(port, tmp_path / f"daphne-{port}.log", {"REDIS_URL": redis_url}) for port in ports]
    try:
        start = newest_seq()
        clients = [StreamClient(f"127.0.0.1:{port}", cookie, after=start) for port in ports for _ in range(2)]
        for client in clients:
            client.wait_live()

        write_entries(60)
        expected = journal_after(start)
        for client in clients:
            client.wait_for(lambda c: (c.last_seq or 0) >= expected[-1], message="every entry")
        time.sleep(0.5)  # a second copy of a frame would arrive in this time
        for client in clients:
            client.close()
    finally:
        for web in webs:
            web.stop()

    assert len(expected) == 60
    assert [client.seqs for client in clients] == [expected] * 4
