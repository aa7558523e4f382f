"""Journal writers never wait for each other, and a reader resuming "after seq N" still misses no row."""

import random
import threading
import time

import psycopg
import pytest
from django.db import connection, transaction

import messaging
from messaging.models import JournalEntry, Step
from messaging.runtime import journal
from messaging.runtime.journal_horizon import Horizon
from tests.testapp.contracts import Ping

pytestmark = pytest.mark.django_db(transaction=True)


def in_thread(target, *args):
    """Run ``target`` in a thread with its own database connection; returns the thread, started."""

    def run():
        try:
            target(*args)
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def read_after(horizon: Horizon, seq: int) -> list[int]:
    final = JournalEntry.objects.filter(seq__gt=seq, seq__lte=horizon.safe_seq())
    return list(final.order_by("seq").values_list("seq", flat=True))


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite has one writer at a time by design")
def test_a_writer_commits_while_an_earlier_one_stays_open_and_readers_wait_for_the_earlier_one():
    horizon = Horizon()
    start = horizon.safe_seq()
    a_appended, a_may_commit, a_row = threading.Event(), threading.Event(), []

    def writer_a():
        with transaction.atomic():
            a_row.append(journal.record(Step.CONTROL, actor="A"))
            a_appended.set()
            a_may_commit.wait(10)

    thread = in_thread(writer_a)
    assert a_appended.wait(5)
    began = time.monotonic()
    with transaction.atomic():
        b_row = journal.record(Step.CONTROL, actor="B")
    b_took = time.monotonic() - began

    assert b_took < 0.5, f"B waited {b_took:.2f}s for A"
    assert a_row[0].seq < b_row.seq
    assert JournalEntry.objects.filter(seq=b_row.seq).exists()  # B is committed and visible...
    assert read_after(horizon, start) == []  # ...but not readable while A, with a smaller seq, may still commit

    a_may_commit.set()
    thread.join(5)
    assert read_after(horizon, start) == [a_row[0].seq, b_row.seq]


def record(actor: str) -> None:
    journal.record(Step.CONTROL, actor=actor)


def publish(actor: str) -> None:
    messaging.publish(Ping(key=actor))  # its journal entry goes in one round trip with the message's rows


@pytest.mark.parametrize("append", [record, publish])
def test_a_reader_resuming_while_writers_commit_out_of_order_sees_every_row_once(append):
    horizon = Horizon()
    start = horizon.safe_seq()
    writers, transactions_each = 4, 15
    done = threading.Event()
    seen: list[int] = []

    def writer(seed):
        rng = random.Random(seed)
        for _ in range(transactions_each):
            with transaction.atomic():
                append(f"writer {seed}")
                time.sleep(rng.uniform(0, 0.02))  # commit late, after others that appended later
                if rng.random() < 0.5:
                    append(f"writer {seed}, again")

    def reader():
        last = start
        while True:
            finished = done.is_set()
            rows = read_after(horizon, last)
            seen.extend(rows)
            last = rows[-1] if rows else last
            if finished and not rows:
                return
            time.sleep(0.002)

    threads = [in_thread(writer, seed) for seed in range(writers)]
    reading = in_thread(reader)
    for thread in threads:
        thread.join(60)
    done.set()
    reading.join(30)

    written = list(JournalEntry.objects.filter(seq__gt=start).order_by("seq").values_list("seq", flat=True))
    assert len(written) >= writers * transactions_each
    assert seen == written  # every row, once, in order: no gap, no duplicate


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite has one writer at a time by design")
def test_a_journal_writer_in_another_database_on_the_server_does_not_hold_readers_back():
    with transaction.atomic():
        written = journal.record(Step.CONTROL, actor="here")
    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname="postgres",
    )
    try:
        with other.transaction():  # another project's journal writer, open on the same server
            other.execute("SELECT pg_advisory_xact_lock_shared(%s)", [journal.JOURNAL_WRITERS_KEY])
            horizon = Horizon()
            horizon.safe_seq()  # the checkpoint, taken while the other database's writer is open

            assert horizon.safe_seq() >= written.seq
    finally:
        other.close()
