"""A batch's deliveries share a commit; only a group's first may wait for a lock, so groups never deadlock."""

import threading

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

import messaging
from messaging.models import Delivery, DeliveryStatus, JournalEntry, Step
from messaging.runtime import wakeup, worker
from messaging.runtime.claims import delivery_claim_batch
from tests.testapp import handlers
from tests.testapp.contracts import Locking, Positive
from tests.testapp.models import Effect

pytestmark = pytest.mark.django_db(transaction=True)

WIDE_WINDOW = {**settings.MESSAGING, "group_commit_seconds": 1.5}  # room for handlers that hold locks a while


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's row locks; SQLite has one writer")
def test_two_workers_whose_groups_want_each_others_rows_both_finish_without_a_deadlock(monkeypatch):
    Effect.objects.bulk_create([Effect(handler="row", key="a"), Effect(handler="row", key="b")])
    # Worker one's batch locks a, then b; worker two's b, then a: grouped, each would wait for the other.
    for key, rows in (("1a", ["a"]), ("1b", ["b"]), ("2b", ["b"]), ("2a", ["a"])):
        messaging.publish(Locking(key=key, rows=rows))
    monkeypatch.setattr(wakeup, "worker_count", lambda: 1)  # each claim takes its whole batch, not a share
    batches = [delivery_claim_batch(actor="worker:one", limit=2), delivery_claim_batch(actor="worker:two", limit=2)]
    handlers.LOCKING_RUNS.clear()
    start, errors = threading.Barrier(2, timeout=10), []

    def run(claims):
        try:
            start.wait()
            worker.execute_batch(claims)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(claims,)) for claims in batches]
    with override_settings(MESSAGING=WIDE_WINDOW):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)

    assert errors == []
    assert [len(claims) for claims in batches] == [2, 2]
    assert set(Delivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.SUCCEEDED, 1)}
    assert not JournalEntry.objects.filter(step__in=[Step.FAILED, Step.RETRY_SCHEDULED]).exists()
    assert sorted(Effect.objects.filter(handler="row").values_list("attempt", flat=True)) == [2, 2]
    assert len(handlers.LOCKING_RUNS) > 4  # one yielded its group rather than wait, and ran again on its own


def test_a_group_commits_its_successes_once_and_journals_each(run_deliveries):
    for number in range(1, 6):
        messaging.publish(Positive(number=number))

    assert run_deliveries() == 5

    assert Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 5
    assert JournalEntry.objects.filter(step=Step.STARTED).count() == 5
    assert JournalEntry.objects.filter(step=Step.SUCCEEDED).count() == 5
