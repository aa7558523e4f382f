"""replay_messages: what it replays, what it skips, what it journals, and catch-up for a new subscriber."""

import io
import uuid
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

import messaging
from messaging.management.options import operator
from messaging.models import Delivery, DeliveryStatus, Message
from messaging.operations.replay import ReplayRequest, replay_batch, replay_run, replay_targets
from messaging.operations.selection import selection_build
from messaging.runtime import signing
from messaging.runtime.decorators import handler
from messaging.runtime.registry import registry
from tests.messaging.replay_helpers import dead_lettered, published, replay, replayed_entries
from tests.testapp.contracts import Ping, Positive
from tests.testapp.models import Effect

pytestmark = pytest.mark.django_db


def test_dead_deliveries_go_back_to_pending_with_fresh_attempts_and_then_run(run_deliveries):
    message_id = dead_lettered(Ping(key="lost"))

    out = replay("--status", "dead")

    assert out.splitlines()[-1] == "Matched 2, enqueued 2, skipped 0, failed 0."
    for delivery in Delivery.objects.filter(message_id=message_id):
        assert (delivery.status, delivery.attempts, delivery.finished_at) == (DeliveryStatus.PENDING, 0, None)
        assert delivery.last_error == "ConnectionError: vendor gateway timed out"  # kept: the journal's history
    assert run_deliveries() == 2
    assert sorted(Effect.objects.values_list("handler", "key")) == [("ping_a", "lost"), ("ping_b", "lost")]


def test_each_replayed_delivery_is_journaled_with_who_asked_and_how():
    message_id = dead_lettered(Ping(key="lost"))

    replay("--status", "dead", "--type", "tests.Ping")

    entries = replayed_entries()
    assert [(e.message_id, e.handler, e.attempt) for e in entries] == [
        (message_id, "tests.ping_a", 0),
        (message_id, "tests.ping_b", 0),
    ]
    assert {e.actor for e in entries} == {operator()}
    assert operator().startswith("cli:")
    assert {e.detail for e in entries} == {"replay_messages --type tests.Ping --status dead; was dead"}
    assert {e.correlation_id for e in entries} == {Message.objects.get(pk=message_id).correlation_id}


def test_a_delivery_that_already_succeeded_is_skipped(run_deliveries):
    messaging.publish(Ping(key="done"))
    run_deliveries()

    out = replay("--type", "tests.Ping")

    assert out.splitlines()[-1] == "Matched 2, enqueued 0, skipped 2, failed 0."
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}
    assert not replayed_entries()
    assert run_deliveries() == 0


def test_force_re_runs_a_succeeded_delivery_and_the_journal_says_it_was_forced(run_deliveries):
    message_id = messaging.publish(Positive(number=7))
    run_deliveries()
    Effect.objects.all().delete()  # the handler is re-runnable once its effect is gone

    out = replay("--id", str(message_id), "--force")

    assert out.splitlines()[-1] == "Matched 1, enqueued 1, skipped 0, failed 0."
    (entry,) = replayed_entries()
    assert entry.detail == (
        f"replay_messages --id {message_id} --force; was succeeded; forced: it had already succeeded"
    )
    assert run_deliveries() == 1
    assert list(Effect.objects.values_list("handler", "key")) == [("positive", "7")]


def test_pending_and_running_deliveries_are_left_to_run():
    pending = messaging.publish(Positive(number=1))
    running = messaging.publish(Positive(number=2))
    Delivery.objects.filter(message_id=running).update(status=DeliveryStatus.RUNNING, attempts=1)

    out = replay("--type", "tests.Positive")

    assert out.splitlines()[-1] == "Matched 2, enqueued 0, skipped 2, failed 0."
    assert Delivery.objects.get(message_id=pending).status == DeliveryStatus.PENDING
    assert Delivery.objects.get(message_id=running).attempts == 1
    assert not replayed_entries()


def test_filters_combine(run_deliveries):
    old = dead_lettered(Positive(number=1), age=timedelta(days=3))
    recent = dead_lettered(Positive(number=2), age=timedelta(minutes=5))
    ping = dead_lettered(Ping(key="p"), age=timedelta(minutes=5))

    replay("--status", "dead", "--since", "1h", "--handler", "tests.positive")

    assert {e.message_id for e in replayed_entries()} == {recent}
    assert Delivery.objects.get(message_id=old).status == DeliveryStatus.DEAD
    assert set(Delivery.objects.filter(message_id=ping).values_list("status", flat=True)) == {DeliveryStatus.DEAD}


def test_limit_takes_the_oldest_deliveries_first():
    first, second, third = (dead_lettered(Positive(number=n)) for n in (1, 2, 3))

    out = replay("--status", "dead", "--limit", "2")

    assert out.splitlines()[-1] == "Matched 2, enqueued 2, skipped 0, failed 0."
    assert [e.message_id for e in replayed_entries()] == [first, second]
    assert Delivery.objects.get(message_id=third).status == DeliveryStatus.DEAD


def test_a_delivery_to_a_handler_that_no_longer_exists_is_counted_as_failed_and_the_command_fails():
    message_id = dead_lettered(Positive(number=4))
    Delivery.objects.filter(message_id=message_id).update(handler="tests.retired")

    with pytest.raises(CommandError, match=r"1 could not be replayed: handler tests\.retired is no longer registered"):
        replay("--status", "dead")

    assert Delivery.objects.get(message_id=message_id).status == DeliveryStatus.DEAD


def test_the_workers_are_woken_once_per_batch_on_commit(django_capture_on_commit_callbacks):
    for number in range(1, 6):
        dead_lettered(Positive(number=number))

    with django_capture_on_commit_callbacks() as callbacks:
        replay("--status", "dead", "--batch-size", "2")

    assert len(callbacks) == 3


def test_a_batch_read_before_another_replay_took_it_changes_nothing():
    for number in range(1, 4):
        dead_lettered(Positive(number=number))
    request = ReplayRequest(selection=selection_build(statuses=["dead"]), actor="test", command="replay_messages")
    stale = next(replay_targets(request))

    assert replay_run(request).enqueued == 3
    late = replay_batch(stale, request)

    assert (late.matched, late.enqueued, late.skipped) == (3, 0, 3)
    assert len(replayed_entries()) == 3


def test_dry_run_lists_each_message_and_handler_and_changes_nothing(run_deliveries):
    done = messaging.publish(Positive(number=9))
    run_deliveries()
    lost = dead_lettered(Positive(number=10))

    out = replay("--type", "tests.Positive", "--dry-run")

    lines = out.splitlines()
    assert lines[0].startswith("skip ") and f"{done} tests.Positive -> tests.positive [succeeded]" in lines[0]
    assert lines[0].endswith("already succeeded (--force re-runs it)")
    assert lines[1].startswith("replay ") and lines[1].endswith(f"{lost} tests.Positive -> tests.positive [dead]")
    assert lines[2] == "Dry run: matched 2, would enqueue 1, would skip 1, would fail 0. Nothing was changed."
    assert Delivery.objects.get(message_id=lost).status == DeliveryStatus.DEAD
    assert not replayed_entries()


# --- Catch-up: a new subscriber receives past events --------------------------------------------------------------

heard: list[str] = []


@pytest.fixture
def subscribe_late():
    """Registers a new subscriber of Ping when called (after the test published its Pings); unregisters it after."""
    heard.clear()
    registered = []

    def subscribe() -> str:
        def late_ping(event: Ping):
            heard.append(event.key)

        handler(Ping, name="tests.late_ping")(late_ping)
        registered.append("tests.late_ping")
        return "tests.late_ping"

    yield subscribe
    for name in registered:
        registry.unregister_handler(name)


def publish_pings_created_in_order(*keys: str) -> list[uuid.UUID]:
    """One Ping per key, the first published len(keys) hours ago, the last one hour ago."""
    return [published(Ping(key=key), age=timedelta(hours=len(keys) - n)) for n, key in enumerate(keys)]


def test_a_new_subscriber_receives_past_events_oldest_first(subscribe_late, run_deliveries):
    ids = sorted(messaging.publish(Ping(key=f"ping-{n}")) for n in range(3))
    for age, message_id in enumerate(ids, start=1):  # the greatest id is the oldest: order by time, not by id
        row = Message.objects.get(pk=message_id)
        row.created_at = timezone.now() - timedelta(hours=age)
        row.signature = signing.sign(row)
        row.save()
    run_deliveries()
    late_subscriber = subscribe_late()
    oldest_first = [Message.objects.get(pk=message_id).payload["key"] for message_id in reversed(ids)]

    out = replay("--to-handler", late_subscriber)

    assert out.splitlines()[-1] == "Matched 3, enqueued 3, skipped 0, failed 0."
    assert run_deliveries() == 3
    assert heard == oldest_first
    entry = replayed_entries()[0]
    assert (entry.message_id, entry.handler, entry.actor) == (ids[-1], late_subscriber, operator())
    assert entry.detail == (
        f"replay_messages --to-handler {late_subscriber}; "
        f"catch-up: {late_subscriber} did not exist when this was published"
    )


def test_a_second_catch_up_is_a_no_op(subscribe_late, run_deliveries):
    publish_pings_created_in_order("a", "b")
    late_subscriber = subscribe_late()
    replay("--to-handler", late_subscriber)
    run_deliveries()

    out = replay("--to-handler", late_subscriber)

    assert out.splitlines()[-1] == "Matched 2, enqueued 0, skipped 2, failed 0."
    assert Delivery.objects.filter(handler=late_subscriber).count() == 2
    assert heard == ["a", "b"]


def test_catch_up_takes_the_filters_and_the_limit(subscribe_late):
    publish_pings_created_in_order("four-hours", "three-hours", "two-hours", "one-hour")
    late_subscriber = subscribe_late()

    replay("--to-handler", late_subscriber, "--since", "200m", "--limit", "2")

    delivered = Delivery.objects.filter(handler=late_subscriber).select_related("message")
    assert [d.message.payload["key"] for d in delivered.order_by("id")] == ["three-hours", "two-hours"]


def test_catch_up_dry_run_lists_what_would_be_delivered(subscribe_late):
    (ping,) = publish_pings_created_in_order("x")
    late_subscriber = subscribe_late()

    out = replay("--to-handler", late_subscriber, "--dry-run")

    assert f"{ping} tests.Ping -> {late_subscriber} [no delivery yet]" in out.splitlines()[0]
    assert out.splitlines()[0].startswith("deliver")
    assert not Delivery.objects.filter(handler=late_subscriber).exists()


def test_replay_by_call_command_keyword_arguments():
    message_id = dead_lettered(Positive(number=5))

    call_command("replay_messages", statuses=["dead"], yes=True, stdout=io.StringIO())

    assert Delivery.objects.get(message_id=message_id).status == DeliveryStatus.PENDING
