"""A process that dies between commit and wake-up, the database restarting, Redis restarting: nothing is lost,
nothing is doubled, and the dashboard's stream resumes with no gap."""

import os
import subprocess
import time

import pytest
from django.db import connection
from django.utils import timezone

from messaging.models import ProcessHeartbeat
from tests.faults.scenario import judge, notified, start_load, wait_healed
from tests.faults.stream import ReconnectingStream, journal_after, newest_seq, staff_cookie
from tests.processes import ROOT, ManagedProcess, wait_until

CI = ROOT / ".ci"
DIES_AFTER_COMMIT = """
from django.db import transaction
from orders.services.payment import order_pay
from orders.services.placing import LineRequest, order_place
order = order_place(customer_name="Crash", customer_email="crash@example.com",
                    lines=[LineRequest(product_id=pid, quantity=1) for pid in ({products})])
print(order.pk, flush=True)
with transaction.atomic():
    transaction.on_commit(lambda: os._exit(0))  # runs first: the wake-ups registered after it never go out
    order_pay(order_id=order.pk, card_number="4242 4242 4242 4242")
"""


def test_06_a_process_dies_after_its_commit_before_the_wake_up(stack, shop, report, tmp_path):
    script = DIES_AFTER_COMMIT.format(products=", ".join(str(pid) for pid in shop.lines))
    fault_at, began = timezone.now(), time.monotonic()
    dying = ManagedProcess("shell", "-c", script, log=tmp_path / "dying.log")
    dying.process.wait(30)
    order_id = dying.output().strip().splitlines()[-1]

    heal = wait_healed(fault_at, order_id, began=began)

    assert dying.process.returncode == 0 and len(order_id) == 36
    judge(stack, shop, report, heal=heal)


def _stream(stack) -> ReconnectingStream:
    return ReconnectingStream(stack.url.removeprefix("http://"), staff_cookie(), after=newest_seq())


def _same_as_journal(stream: ReconnectingStream) -> None:
    wait_until(stream.caught_up, timeout=30, message="the stream to catch up")
    stream.close()
    assert stream.seqs == journal_after(stream.after)  # every entry, once, in order


def _throw_away_postgres() -> bool:
    """Whether the test database is on the server .ci/postgres.sh runs (the only one this suite may restart)."""
    port = str(connection.settings_dict.get("PORT") or "")
    return connection.vendor == "postgresql" and port == os.environ.get("PGTEST_PORT", "54329")


@pytest.mark.skipif(not _throw_away_postgres(), reason="restarts .ci/postgres.sh's PostgreSQL server")
def test_07_the_database_restarts_under_load(stack, shop, report):
    stream = _stream(stack)
    load = start_load(stack, shop, rate=3.0)

    fault_at, began = timezone.now(), time.monotonic()
    subprocess.run([CI / "postgres.sh", "stop"], check=True, capture_output=True)
    connection.close()
    time.sleep(3)  # down: requests are answered "busy, try again", loops keep trying
    subprocess.run([CI / "postgres.sh", "start"], check=True, capture_output=True)
    order_id = wait_until(lambda: _bought(stack, shop), timeout=30, message="the shop to take orders again")
    heal = wait_healed(fault_at, order_id, began=began)

    judge(stack, shop, report, load=load, heal=heal, http_errors_allowed=True)
    assert any(o.placed == 503 or o.paid == 503 for o in load.failures) or load.failures == []
    _same_as_journal(stream)  # the dashboard's journal tail reconnected
    restarted = timezone.now()
    for kind in ("cluster", "sweeper"):  # so did the supervisor's and the sweeper's loops: they beat again
        wait_until(lambda kind=kind: ProcessHeartbeat.objects.filter(kind=kind, beat_at__gt=restarted).exists(),
                   timeout=10, message=f"the {kind}'s heartbeat after the restart")  # fmt: skip


def _bought(stack, shop) -> str | None:
    try:
        return shop.buy_one(stack.url)
    except AssertionError:
        return None


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis as broker, cache and channel layer")
def test_08_redis_stops_and_restarts_under_load(stack, shop, report):
    stream = _stream(stack)
    load = start_load(stack, shop, rate=3.0)

    fault_at, began = timezone.now(), time.monotonic()
    subprocess.run([CI / "redis.sh", "stop"], check=True, capture_output=True)
    time.sleep(5)  # orders and payments go on; wake-ups and live frames cannot
    subprocess.run([CI / "redis.sh", "start"], check=True, capture_output=True)
    order_id = shop.buy_one(stack.url)
    heal = wait_healed(fault_at, order_id, began=began)

    judge(stack, shop, report, load=load, heal=heal)  # no HTTP error allowed: the shop never needed Redis
    assert notified(order_id)
    _same_as_journal(stream)
