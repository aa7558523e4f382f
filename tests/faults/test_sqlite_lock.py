"""A writer holds SQLite's one write lock for 12 s while 20 customers order: they wait, then all succeed."""

import sqlite3
import threading
import time

import pytest
from django.db import connection

from orders.models import Order
from tests.faults.scenario import judge
from tests.faults.shopper import Shopper

pytestmark = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's one write lock")

HOLD_SECONDS = 12  # under the 20 s the project waits for the lock (SQLITE_BUSY_TIMEOUT)
CUSTOMERS = 20


def test_11_a_writer_holds_sqlites_lock_for_12s_while_20_customers_order(stack, shop, report):
    shoppers = [Shopper(stack.url, name=f"Customer {n}") for n in range(CUSTOMERS)]
    for shopper in shoppers:
        shopper._csrf()  # the storefront was open before the lock was taken
    outcomes, threads = [], []
    writer = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a long write: a stalled worker, a bulk import
    began = time.monotonic()
    try:
        for shopper in shoppers:
            thread = threading.Thread(target=lambda s=shopper: outcomes.append(s.buy(shop.lines)))
            thread.start()
            threads.append(thread)
        time.sleep(HOLD_SECONDS)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    for thread in threads:
        thread.join(60)
    waited = time.monotonic() - began

    assert [(o.placed, o.paid) for o in outcomes] == [(200, 200)] * CUSTOMERS, outcomes
    assert Order.objects.filter(paid_at__isnull=False).count() == CUSTOMERS
    judge(stack, shop, report, waited_seconds=round(waited, 1))
