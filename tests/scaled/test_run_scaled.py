"""``make run-scaled`` end to end: PostgreSQL, Redis, two daphnes, two clusters and two sweepers, as a person runs it.

An order placed and paid on one web process reaches its vendors through the workers; the dashboard of each web
process streams every journal entry of that order once (Redis carries each process's tail to its clients);
SIGTERM to make's process group stops every process it started, promptly and cleanly.
"""

import contextlib
import http.cookiejar
import json
import os
import re
import signal
import socket
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from decimal import Decimal

import psycopg
import pytest
import redis
from websockets.sync.client import connect

from tests.faults.shopper import Shopper
from tests.processes import wait_until
from tests.scaled.conftest import PASSWORD, alive

pytestmark = pytest.mark.scaled

STOP_WITHIN = 15  # seconds from SIGTERM to the last process gone
TAIL_GROUP = re.compile(rb"asgi__group__dashboard\.[0-9a-f]{16}")  # marketplace.dashboard.tail: one per process
PROCESSES = ("web1.1", "web2.1", "worker.1", "worker.2", "sweeper.1", "sweeper.2")
VENDOR_SECTION = re.compile(r'<section class="card vendor"(.*?)</section>', re.S)
QUANTITY_FIELD = re.compile(r'name="quantity_(\d+)"')
PRICE_FIELDS = re.compile(r'name="price_(\d+)" value="([^"]+)"')


def one_product_of_two_vendors(url: str) -> dict[int, tuple[int, Decimal]]:
    """Once the demo catalog has reached Orders (by the vendors' events): an order line from each of two vendors."""
    html = urllib.request.urlopen(url + "/", timeout=10).read().decode()
    firsts = [QUANTITY_FIELD.search(section) for section in VENDOR_SECTION.findall(html)[:2]]
    prices = {int(product): Decimal(price) for product, price in PRICE_FIELDS.findall(html)}  # hidden, after them
    products = [int(match.group(1)) for match in firsts if match]
    return {product: (1, prices[product]) for product in products} if len(products) == 2 else {}


def staff_session(url: str) -> str:
    """Log in as the seeded ``admin`` through the admin's form: the session cookie's value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(url + "/admin/login/", timeout=10).read()
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "admin", "password": PASSWORD})
    request = urllib.request.Request(url + "/admin/login/?next=/admin/", data=data.encode(),
                                     headers={"Referer": url + "/admin/login/"})  # fmt: skip
    opener.open(request, timeout=10).read()
    return next(cookie.value for cookie in jar if cookie.name == "sessionid")


class DashboardStream:
    """One dashboard websocket, read in a thread and acked as the browser does; a lost connection is a failure."""

    def __init__(self, socket):
        self.socket = socket
        self.entries: list[dict] = []
        self.live = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for text in self.socket:
                frame = json.loads(text)
                self.entries.extend(frame["entries"])
                if frame.get("live"):
                    self.live.set()
                if frame["entries"]:
                    self.socket.send(json.dumps({"ack": frame["entries"][-1]["seq"]}))
        except BaseException as error:  # ends the thread; the test reads it
            self.error = error

    def seqs(self, correlation_id: str | None = None) -> list[int]:
        return [e["seq"] for e in self.entries if correlation_id is None or e["correlation_id"] == correlation_id]


@contextlib.contextmanager
def dashboard_stream(url: str, cookie: str):
    address = urllib.parse.urlparse(url).netloc
    with connect(f"ws://{address}/ws/dashboard/", origin=url, proxy=None, open_timeout=10, max_size=2**24,
                 additional_headers={"Cookie": f"sessionid={cookie}"}) as socket:  # fmt: skip
        stream = DashboardStream(socket)
        assert stream.live.wait(10), stream.error
        yield stream


def journal_of(database_url: str, correlation_id: str) -> set[int]:
    with psycopg.connect(database_url) as connection:
        rows = connection.execute("SELECT seq FROM messaging_journalentry WHERE correlation_id = %s", [correlation_id])
        return {seq for (seq,) in rows}


def order_status(url: str, order_id: str) -> str:
    html = urllib.request.urlopen(f"{url}/orders/{order_id}/", timeout=10).read().decode()
    match = re.search(r'class="badge ([a-z_]+)" id="order-status"', html)
    return match.group(1) if match else ""


def test_an_order_paid_on_one_web_process_streams_on_both_and_sigterm_stops_everything(run_scaled):
    first, second = run_scaled.url(0), run_scaled.url(1)
    lines = wait_until(lambda: one_product_of_two_vendors(first), timeout=60, interval=0.5,
                       message="the demo catalog on the storefront")  # fmt: skip
    cookie = staff_session(second)
    with dashboard_stream(first, cookie) as on_first, dashboard_stream(second, cookie) as on_second:
        # Each web process's journal tail sends to a group of its own, over Redis pub/sub (channels-redis).
        channels = redis.Redis(port=run_scaled.redis_port).pubsub_channels("asgi__group__dashboard.*")
        assert len([name for name in channels if TAIL_GROUP.fullmatch(name)]) == 2, channels

        outcome = Shopper(first).buy(lines)
        assert (outcome.placed, outcome.paid) == (200, 200), outcome
        wait_until(lambda: order_status(second, outcome.order_id) == "vendor_notified", timeout=30, interval=0.5,
                   message="both vendors notified of the order")  # fmt: skip

        journal = journal_of(run_scaled.database_url, outcome.order_id)
        for stream in (on_second, on_first):
            wait_until(lambda s=stream: journal <= set(s.seqs(outcome.order_id)) or s.error, timeout=15,
                       message="the order's journal on the dashboard")  # fmt: skip
            assert stream.error is None, stream.error
            assert set(stream.seqs(outcome.order_id)) == journal
            assert not [seq for seq, count in Counter(stream.seqs()).items() if count > 1], "an entry came twice"
            assert stream.seqs() == sorted(stream.seqs())
        contexts = {entry["context"] for entry in on_second.entries if entry["correlation_id"] == outcome.order_id}
        assert "vendors" in contexts, contexts  # written by the workers, not by the web process that placed it

    processes = run_scaled.processes()
    began = time.monotonic()
    os.killpg(run_scaled.make.pid, signal.SIGTERM)  # what a terminal's Ctrl-C, systemd or a container runtime do
    wait_until(lambda: not alive(processes), timeout=STOP_WITHIN + 5, interval=0.1, message="every process stopped")
    took = time.monotonic() - began
    output = run_scaled.output()
    assert took <= STOP_WITHIN, (took, output[-3000:])
    assert "SIGKILL" not in output, output[-3000:]
    for name in PROCESSES:
        assert f"{name} stopped (rc=0)" in output, output[-3000:]

    assert listening(run_scaled.pg_port) and listening(run_scaled.redis_port)  # the servers outlive the processes
    run_scaled.stop_servers()
    assert not listening(run_scaled.pg_port) and not listening(run_scaled.redis_port)


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True
