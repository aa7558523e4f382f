"""Transactions that lose a race are run again at the service boundary; SQLite waits the documented time."""

import threading

import pytest
from django.conf import settings
from django.db import OperationalError, connection

import messaging
from messaging.runtime.contention import is_contention
from tests.testapp.models import Effect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's busy timeout")
def test_sqlite_waits_for_its_write_lock_as_long_as_the_settings_say():
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        (milliseconds,) = cursor.fetchone()

    assert milliseconds == settings.SQLITE_BUSY_TIMEOUT * 1000 == 20_000


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL detects deadlocks")
def test_two_services_that_deadlock_both_complete_the_loser_is_run_again():
    first, second = Effect.objects.create(handler="h", key="a"), Effect.objects.create(handler="h", key="b")
    both_hold_one, runs, errors = threading.Barrier(2, timeout=10), [], []

    def lock_in_order(one, other):
        @messaging.atomic_retried
        def service():
            runs.append(one.key)
            Effect.objects.select_for_update().get(pk=one.pk)
            if runs.count(one.key) == 1:
                both_hold_one.wait()  # the first run of each holds one row and wants the other's
            Effect.objects.select_for_update().get(pk=other.pk)
            Effect.objects.filter(pk=one.pk).update(data={"done": True})

        try:
            service()
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=lock_in_order, args=pair) for pair in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert len(runs) == 3  # one of the two lost the deadlock and ran again
    assert list(Effect.objects.order_by("key").values_list("data", flat=True)) == [{"done": True}] * 2


def test_only_a_lost_race_counts_as_contention():
    assert is_contention(OperationalError("database is locked"))
    assert not is_contention(OperationalError("no such table: x"))
    assert not is_contention(ValueError("database is locked"))
