import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models.sql import InsertQuery
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import OrmQ

import messaging
from messaging.models import Delivery, JournalEntry, Message, Step
from messaging.runtime import clock, outbox, wakeup
from tests.testapp.contracts import DoWork, Ping

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def test_a_rolled_back_transaction_leaves_no_message_delivery_or_journal_entry():
    with pytest.raises(Boom), transaction.atomic():
        messaging.publish(Ping(key="k"))
        messaging.send(DoWork(key="k"))
        raise Boom

    assert (Message.objects.count(), Delivery.objects.count(), JournalEntry.objects.count()) == (0, 0, 0)


def test_a_rolled_back_transaction_wakes_no_worker(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Boom), transaction.atomic():
        messaging.publish(Ping(key="k"))
        raise Boom

    assert callbacks == []
    assert not OrmQ.objects.exists()


def test_workers_are_woken_only_once_the_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        messaging.publish(Ping(key="k"))

    assert len(callbacks) == 1
    assert not OrmQ.objects.exists()

    callbacks[0]()

    # Two deliveries: as many wake-up tasks as can run them in parallel.
    assert OrmQ.objects.count() == min(2, wakeup.worker_count())
    assert {task.func() for task in OrmQ.objects.all()} == {wakeup.RUN_DUE_DELIVERIES}


def test_a_delayed_message_registers_no_wake_up(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        messaging.publish(Ping(key="k"), delay=timedelta(minutes=5))

    assert callbacks == []
    assert not OrmQ.objects.exists()


def test_the_message_is_signed_and_its_deliveries_are_due_at_once():
    event_id = messaging.publish(Ping(key="k"))

    row = Message.objects.get(pk=event_id)
    assert len(row.signature) == 64
    assert row.not_before is None
    assert {d.available_at for d in row.deliveries.all()} == {row.created_at}


def test_the_first_journal_entry_describes_the_message():
    command_id = messaging.send(DoWork(key="k"))

    entry = JournalEntry.objects.get(message_id=command_id)
    row = Message.objects.get(pk=command_id)
    assert (entry.step, entry.kind, entry.type, entry.context) == (Step.SENT, "command", "tests.DoWork", "tests")
    assert (entry.correlation_id, entry.at) == (row.correlation_id, row.created_at)
    assert entry.detail == "tests.do_work"


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite's driver runs one statement per call")
def test_on_postgresql_the_rows_go_in_one_round_trip_the_journal_writer_registered_before_its_entry():
    clock.recent()  # the database's clock, read at most every few seconds, is read now and not while publishing

    with CaptureQueriesContext(connection) as queries:
        event_id = messaging.publish(Ping(key="k"))

    [sent] = [query["sql"] for query in queries.captured_queries]
    tables = re.findall(r'INSERT INTO "(\w+)"|(pg_advisory_xact_lock_shared)', sent)
    assert ["".join(found) for found in tables] == [
        "messaging_message",
        "messaging_delivery",
        "pg_advisory_xact_lock_shared",
        "messaging_journalentry",
    ]
    assert Delivery.objects.filter(message_id=event_id).count() == 2
    assert JournalEntry.objects.get(message_id=event_id).step == Step.PUBLISHED


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite writes them through the ORM")
def test_on_postgresql_each_insert_is_the_one_the_orm_would_build(monkeypatch):
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)  # the deliveries' auto_now times, the same both ways
    message = Message(id=uuid.uuid4(), kind="event", type="tests.Ping", context="tests", payload={"key": "k"},
                      correlation_id="c", created_at=now, signature="s" * 64)  # fmt: skip
    deliveries = [Delivery(message=message, handler=h, context="tests", available_at=now) for h in ("a", "b")]
    entry = JournalEntry(at=now, step=Step.PUBLISHED, message_id=message.id, detail="a, b")

    for row in (message, *deliveries, entry):  # one at a time: for several rows Django 5.2 inserts from UNNEST
        meta = row._meta
        query = InsertQuery(type(row))
        query.insert_values([f for f in meta.concrete_fields if f is not meta.auto_field], [row])
        [(sql, params)] = query.get_compiler(connection=connection).as_sql()

        assert connection.ops.compose_sql(*outbox._insert([row], connection)) == connection.ops.compose_sql(sql, params)
