"""A request the database cannot serve in time answers "busy, try again" (503), and nothing is half-done."""

import sqlite3
import threading
from contextlib import contextmanager

import pytest
from django.db import connection, transaction

from orders.models import Order, OrderLine, Payment
from tests.orders.factories import CatalogProductFactory, OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def short_busy_timeout():
    """The request gives up waiting for SQLite's write lock after half a second (20 s in production)."""
    options = connection.settings_dict["OPTIONS"]
    saved = options.get("timeout")
    connection.close()
    options["timeout"] = 0.5
    yield
    connection.close()
    options["timeout"] = saved


@contextmanager
def sqlite_write_lock_held():
    """Another connection's transaction holds SQLite's one write lock (a stalled writer)."""
    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's one write lock")
def test_an_order_placed_while_a_writer_holds_sqlites_lock_past_the_timeout_is_busy_and_nothing_is_written(
    client, short_busy_timeout
):
    CatalogProductFactory(product_id=1, price="2.50")
    form = {"customer_name": "Ada", "customer_email": "ada@example.com", "quantity_1": "1", "price_1": "2.50"}

    with sqlite_write_lock_held():
        response = client.post("/orders/", form)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "Busy: please try again" in page and "Nothing was done: no order was placed" in page
    assert "Traceback" not in page
    assert (Order.objects.count(), OrderLine.objects.count()) == (0, 0)


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's row locks")
def test_a_payment_that_cannot_get_its_orders_lock_in_time_is_busy_and_charges_nothing(client):
    order = OrderFactory(total="5.00")
    OrderLineFactory(order=order, unit_price="5.00")
    locked, release = threading.Event(), threading.Event()

    def hold_the_order():
        with transaction.atomic():
            Order.objects.select_for_update().get(pk=order.pk)
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_the_order)
    holder.start()
    assert locked.wait(5)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '300ms'")
    try:
        response = client.post(f"/orders/{order.pk}/pay/", {"name": "Ada", "number": "4242 4242 4242 4242",
                                                            "expiry": "12/30", "cvc": "123"})  # fmt: skip
    finally:
        release.set()
        holder.join()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")

    assert response.status_code == 503
    assert "Nothing was done: no order was placed and no card was charged" in response.content.decode()
    assert not Payment.objects.exists()
    assert Order.objects.get(pk=order.pk).status == Order.Status.PLACED
