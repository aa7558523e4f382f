"""purge_messages: finished messages past the cutoff go, with their deliveries; what waits, what is dead,
retained types and the journal stay unless asked."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError
from django.utils import timezone

from messaging.models import Delivery, DeliveryStatus, JournalEntry, Message
from tests.messaging.replay_helpers import dead_lettered, published, run_command
from tests.testapp.contracts import Noted, Ping, Positive
from vendors.contracts import ProductListed

pytestmark = pytest.mark.django_db


def finished(event, *, days_ago: int, status: str = DeliveryStatus.SUCCEEDED):
    """A message published and finished ``days_ago`` days ago (every delivery in ``status``)."""
    message_id = published(event, age=timedelta(days=days_ago, minutes=5))
    Delivery.objects.filter(message_id=message_id).update(
        status=status, finished_at=timezone.now() - timedelta(days=days_ago)
    )
    return message_id


def exists(message_id) -> bool:
    return Message.objects.filter(pk=message_id).exists()


def test_finished_messages_past_the_cutoff_go_with_their_deliveries_and_the_journal_stays():
    old = finished(Ping(key="old"), days_ago=40)
    recent = finished(Ping(key="recent"), days_ago=5)
    journal = JournalEntry.objects.count()

    out = run_command("purge_messages", "--older-than", "30d")

    assert out == "Purged 1 message, 2 deliveries; the journal is kept.\n"
    assert not exists(old) and not Delivery.objects.filter(message_id=old).exists()
    assert exists(recent)
    assert JournalEntry.objects.count() == journal
    assert JournalEntry.objects.filter(message_id=old).exists()


def test_waiting_running_and_failed_messages_are_never_purged_and_dead_ones_only_when_asked():
    waiting = published(Positive(number=1), age=timedelta(days=40))
    running = finished(Positive(number=2), days_ago=40, status=DeliveryStatus.RUNNING)
    failed = finished(Positive(number=3), days_ago=40, status=DeliveryStatus.FAILED)
    dead = dead_lettered(Positive(number=4), age=timedelta(days=40))
    Delivery.objects.filter(message_id=dead).update(finished_at=timezone.now() - timedelta(days=40))

    assert (
        run_command("purge_messages", "--older-than", "30d")
        == "Purged 0 messages, 0 deliveries; the journal is kept.\n"
    )
    assert all(exists(m) for m in (waiting, running, failed, dead))

    run_command("purge_messages", "--older-than", "30d", "--include-dead")

    assert not exists(dead)
    assert all(exists(m) for m in (waiting, running, failed))


def test_a_message_retried_after_the_cutoff_is_not_finished_before_it():
    message_id = finished(Ping(key="late"), days_ago=40)
    Delivery.objects.filter(message_id=message_id, handler="tests.ping_b").update(finished_at=timezone.now())

    run_command("purge_messages", "--older-than", "30d")

    assert exists(message_id)


def test_an_event_nobody_subscribed_to_is_finished():
    nobody = published(Noted(key="x"), age=timedelta(days=40))
    Delivery.objects.filter(message_id=nobody).delete()  # as if published before tests.noted existed

    run_command("purge_messages", "--older-than", "30d")

    assert not exists(nobody)


def test_with_journal_deletes_their_journal_entries_too():
    old = finished(Ping(key="old"), days_ago=40)
    other = finished(Ping(key="recent"), days_ago=1)

    out = run_command("purge_messages", "--older-than", "30d", "--with-journal")

    assert out == "Purged 1 message, 2 deliveries, 1 journal entry.\n"
    assert not JournalEntry.objects.filter(message_id=old).exists()
    assert JournalEntry.objects.filter(message_id=other).exists()


def test_retained_types_are_kept_unless_asked_and_the_output_says_why():
    listed = finished(
        ProductListed(
            product_id=1, vendor_id=1, vendor_name="V", product_name="P", price=Decimal("1.00"), stock=1, revision=1
        ),
        days_ago=40,
    )

    out = run_command("purge_messages", "--older-than", "30d")

    assert out.splitlines() == [
        "Purged 0 messages, 0 deliveries; the journal is kept.",
        "Kept 1 message of retained types (vendors.ProductListed, vendors.ProductPriceChanged, "
        "vendors.ProductStockChanged: Orders rebuilds its catalog from them (manage.py rebuild_catalog)); "
        "--include-retained purges them too.",
    ]
    assert exists(listed)
    with pytest.raises(CommandError, match=r"^--type vendors\.ProductListed is retained \(Orders rebuilds"):
        run_command("purge_messages", "--older-than", "30d", "--type", "vendors.ProductListed")

    run_command("purge_messages", "--older-than", "30d", "--include-retained")

    assert not exists(listed)


def test_a_large_purge_is_a_dry_run_unless_yes():
    ids = [finished(Positive(number=n), days_ago=40) for n in range(1, 6)]
    finished(Ping(key="p"), days_ago=40)

    out = run_command("purge_messages", "--older-than", "30d", "--threshold", "5")

    lines = out.splitlines()
    assert lines[0] == "6 messages to purge, more than 5: dry run only; add --yes to purge them."
    assert lines[1:3] == ["          5  tests.Positive", "          1  tests.Ping"]
    assert lines[3].startswith("Dry run: would purge 6 messages (7 deliveries) finished before ")
    assert lines[3].endswith(". Nothing was deleted.")
    assert all(exists(m) for m in ids)

    out = run_command("purge_messages", "--older-than", "30d", "--threshold", "5", "--yes", "--batch-size", "2")

    assert out == "Purged 6 messages, 7 deliveries; the journal is kept.\n"
    assert not Message.objects.exists()


def test_dry_run_deletes_nothing():
    old = finished(Ping(key="old"), days_ago=40)

    out = run_command("purge_messages", "--older-than", "30d", "--dry-run", "--with-journal")

    assert "Dry run: would purge 1 message (2 deliveries, 1 journal entry) finished before" in out
    assert exists(old)


def test_types_narrow_the_purge():
    ping = finished(Ping(key="old"), days_ago=40)
    positive = finished(Positive(number=1), days_ago=40)

    run_command("purge_messages", "--older-than", "30d", "--type", "tests.Positive")

    assert exists(ping) and not exists(positive)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--older-than", "soon"], "--older-than 'soon' is neither a duration like 2h, 30m, 7d nor an ISO 8601"),
        (["--older-than", "2999-01-01"], "--older-than 2999-01-01 is not in the past"),
        (["--older-than", "0d"], "--older-than 0d is not in the past"),
        (["--older-than", "30d", "--type", "tests.Nope"], "--type 'tests.Nope': unknown type"),
        (["--older-than", "30d", "--batch-size", "0"], "--batch-size must be at least 1 (got 0)"),
        (["--older-than", "30d", "--threshold", "-1"], "--threshold must be 0 or more (got -1)"),
        ([], "Error: the following arguments are required: --older-than"),
    ],
)
def test_bad_input_fails_with_one_line_and_deletes_nothing(args, error):
    old = finished(Ping(key="old"), days_ago=40)

    with pytest.raises(CommandError) as failure:
        run_command("purge_messages", *args)

    assert str(failure.value).startswith(error) and "\n" not in str(failure.value)
    assert exists(old)
