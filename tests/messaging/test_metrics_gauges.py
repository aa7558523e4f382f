"""The gauges a scrape reads from the database: queue depth, the oldest due delivery, dead letters, breakers,
paused handlers; and what each costs, read from the query plans."""

from datetime import timedelta

import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import messaging
from messaging import controls
from messaging.models import BreakerState, CircuitBreaker, Delivery, DeliveryStatus
from messaging.operations.gauges import DatabaseCollector
from messaging.runtime.claims import delivery_claim_next
from tests.messaging.metrics_helpers import TOKEN, scrape
from tests.testapp.contracts import Doomed, DoWork, Ping, Positive, Rejected

pytestmark = pytest.mark.django_db


def waited(message_id, seconds: float) -> None:
    """As if the message's deliveries had been due for ``seconds``."""
    Delivery.objects.filter(message_id=message_id).update(available_at=timezone.now() - timedelta(seconds=seconds))


def test_open_deliveries_are_counted_by_state(run_deliveries):
    # given a dead letter, a delivery waiting for a delayed retry (its sibling done), one leased, two due
    # and one sent with a delay
    messaging.publish(Rejected(key="r"))
    messaging.publish(Doomed(key="d"))
    run_deliveries()
    messaging.publish(Positive(number=1))
    assert delivery_claim_next(actor="test").delivery.handler == "tests.positive"
    messaging.publish(Ping(key="p"))
    messaging.send(DoWork(key="later"), delay=60)
    # when scraped
    seen = scrape()
    # then
    assert {state: seen.value("messaging_deliveries", state=state) for state in STATES} == {
        "due": 2,
        "delayed": 1,
        "in_progress": 1,
        "retry_scheduled": 1,
    }
    assert seen.value("messaging_dead_letters", handler="tests.rejected") == 1
    assert seen.value("messaging_dead_letters", handler="tests.doomed_fails") == 0


def test_the_oldest_due_delivery_is_the_one_a_worker_may_run_that_waited_longest():
    # given deliveries due for 90 s, and older ones a paused handler's or behind an open breaker
    waited(messaging.publish(Positive(number=1)), 90)
    waited(messaging.publish(Ping(key="paused")), 600)
    controls.handler_pause(handler="tests.ping_a", actor="test")
    controls.handler_pause(handler="tests.ping_b", actor="test")
    waited(messaging.send(DoWork(key="behind the breaker")), 900)
    Delivery.objects.filter(handler="tests.do_work").update(context="vendors")
    CircuitBreaker.objects.create(
        context="vendors", state=BreakerState.OPEN, open_until=timezone.now() + timedelta(minutes=5)
    )
    # when scraped, then
    assert 90 <= scrape().value("messaging_oldest_due_delivery_age_seconds") < 100
    # and with nothing a worker may run, 0
    Delivery.objects.filter(handler="tests.positive").update(status=DeliveryStatus.SUCCEEDED)
    assert scrape().value("messaging_oldest_due_delivery_age_seconds") == 0


def test_each_context_has_one_breaker_state_and_each_handler_its_pause():
    CircuitBreaker.objects.create(context="vendors", state=BreakerState.HALF_OPEN, open_until=timezone.now())
    controls.handler_pause(handler="tests.ping_b", actor="test")

    seen = scrape()

    assert {state: seen.value("messaging_breaker_state", context="vendors", state=state) for state in BREAKER} == {
        "closed": 0,
        "open": 0,
        "half_open": 1,
    }
    assert {state: seen.value("messaging_breaker_state", context="orders", state=state) for state in BREAKER} == {
        "closed": 1,  # never failed: no row, closed
        "open": 0,
        "half_open": 0,
    }
    assert seen.value("messaging_handler_paused", handler="tests.ping_b") == 1
    assert seen.has("messaging_handler_paused", handler="tests.ping_a")  # there, at 0: a rise from none shows
    assert seen.value("messaging_handler_paused", handler="tests.ping_a") == 0


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plans; PostgreSQL's: bench/metrics_scrape.py")
def test_a_scrape_reads_neither_the_journal_nor_a_finished_delivery():
    messaging.publish(Ping(key="p"))
    with CaptureQueriesContext(connection) as queries:
        list(DatabaseCollector().collect())

    plans = {query["sql"]: query_plan(query["sql"]) for query in queries.captured_queries}

    assert plans and not [sql for sql in plans if "messaging_journalentry" in sql]
    for sql, plan in plans.items():
        assert "SCAN messaging_delivery" not in plan, (sql, plan)  # an index search, by status
        if "messaging_delivery" in sql:
            assert "succeeded" not in sql and "USING" in plan, (sql, plan)


@pytest.mark.django_db(transaction=True)
def test_a_database_that_cannot_be_read_leaves_out_the_gauges_not_what_the_processes_counted(settings):
    settings.METRICS_TOKEN = TOKEN
    with transaction.atomic():
        messaging.publish(Ping(key="p"))

    with connection.execute_wrapper(refuse):
        seen = scrape()

    assert "messaging_deliveries" not in seen.families
    assert seen.value("messaging_client_sent_messages_total", kind="event", type="tests.Ping", context="tests") >= 1


STATES = ("due", "delayed", "in_progress", "retry_scheduled")
BREAKER = ("closed", "open", "half_open")


def query_plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(row[-1] for row in cursor.fetchall())


def refuse(execute, sql, params, many, context):
    raise OperationalError("the database is gone")
