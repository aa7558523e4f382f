"""The messaging core against a real qcluster (and sweeper) on the test database.

Each test starts its own processes; timings come from tests/settings.py MESSAGING
and the handlers' policies in tests/testapp/handlers.py (FAST: 5 attempts).
"""

import os
import signal
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django_q.tasks import async_task

import messaging
from messaging.models import Delivery, DeliveryStatus, JournalEntry, Message, Step
from messaging.runtime import signing, wakeup
from tests.processes import wait_until
from tests.testapp.contracts import Crashy, Doomed, DoWork, Flaky, Ping, Positive, Slow
from tests.testapp.handlers import FAST, work_outcome
from tests.testapp.models import Effect

pytestmark = pytest.mark.cluster


def publish(event) -> str:
    with transaction.atomic():  # the wake-up goes out on commit, as in production code
        return messaging.publish(event)


def status_of(message_id, handler: str) -> str:
    return Delivery.objects.get(message_id=message_id, handler=handler).status


def finished(message_id, handler: str) -> Delivery | None:
    return Delivery.objects.filter(
        message_id=message_id, handler=handler, status__in=[DeliveryStatus.SUCCEEDED, DeliveryStatus.DEAD]
    ).first()


def wakeups_in_broker() -> int:
    """Wake-ups queued or taken but not yet acknowledged (the ORM broker keeps those until acked)."""
    broker = wakeup.broker()
    return broker.queue_size() + (broker.lock_size() or 0)


def steps(delivery: Delivery) -> list[str]:
    entries = JournalEntry.objects.filter(message_id=delivery.message_id, handler=delivery.handler).order_by("seq")
    return list(entries.values_list("step", flat=True))


# --- Fan-out, retries, dead letters, timeouts, outcomes ------------------------------------------------------------


def test_a_published_event_reaches_both_subscribers(qcluster):
    message_id = publish(Ping(key="live"))

    wait_until(lambda: Delivery.objects.filter(message_id=message_id, status=DeliveryStatus.SUCCEEDED).count() == 2)

    assert set(Effect.objects.values_list("handler", flat=True)) == {"ping_a", "ping_b"}


def test_a_handler_that_fails_twice_succeeds_on_its_third_attempt(qcluster):
    message_id = publish(Flaky(key="f", fail_times=2))

    delivery = wait_until(lambda: finished(message_id, "tests.flaky"), message="the flaky delivery to finish")

    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 3)
    assert steps(delivery).count(Step.FAILED) == 2
    assert list(Effect.objects.values_list("handler", "attempt")) == [("flaky", 3)]  # failed attempts rolled back


def test_a_handler_that_always_fails_is_dead_lettered_while_its_sibling_succeeds(qcluster, sweeper):
    message_id = publish(Doomed(key="d"))  # the sweeper wakes the workers for the delayed retries

    doomed = wait_until(lambda: finished(message_id, "tests.doomed_fails"), message="the doomed delivery to end")
    sibling = wait_until(lambda: finished(message_id, "tests.doomed_sibling"), message="the sibling to end")

    assert (doomed.status, doomed.attempts, doomed.max_attempts) == (DeliveryStatus.DEAD, 5, FAST.max_attempts)
    assert steps(doomed).count(Step.FAILED) == 5
    dead = JournalEntry.objects.get(message_id=message_id, step=Step.DEAD_LETTERED)
    assert dead.detail == "gave up after 5 attempts: RuntimeError: this subscriber always fails"
    assert (sibling.status, sibling.attempts) == (DeliveryStatus.SUCCEEDED, 1)
    assert list(Effect.objects.values_list("handler", flat=True)) == ["doomed_sibling"]


def test_a_handler_past_its_timeout_is_stopped_and_succeeds_on_the_next_attempt(qcluster):
    message_id = publish(Slow(key="s", seconds=30, slow_times=1))  # the handler's timeout is 1s, its lease 2s

    delivery = wait_until(lambda: finished(message_id, "tests.slow"), timeout=15, message="the slow delivery to end")

    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)
    failure = JournalEntry.objects.get(message_id=message_id, step=Step.FAILED)
    assert (failure.attempt, failure.detail) == (1, "HandlerTimeoutError: handler tests.slow ran past its 1s timeout")
    assert 900 < failure.duration_ms < 5000
    assert list(Effect.objects.values_list("handler", "attempt")) == [("slow", 2)]


def test_a_command_outcome_reaches_its_reply_handler(qcluster):
    with transaction.atomic():
        done = messaging.send(DoWork(key="ok"), reply_to=work_outcome)
        refused = messaging.send(DoWork(key="no", fail=True), reply_to=work_outcome)

    wait_until(lambda: Effect.objects.filter(handler="work_outcome").count() == 2, message="both outcomes")

    outcomes = {effect.key: effect for effect in Effect.objects.filter(handler="work_outcome")}
    success, failure = outcomes[str(done)], outcomes[str(refused)]
    assert success.data | {"command_id": None} == {
        "command_id": None,
        "command_type": "tests.DoWork",
        "status": "succeeded",
        "error": "",
        "result": {"done": "ok"},
        "attempts": 1,
    }
    assert (failure.data["status"], failure.data["error"], failure.data["attempts"]) == ("failed", "cannot do no", 1)
    assert success.correlation_id == Message.objects.get(pk=done).correlation_id
    assert success.causation_id != str(done)  # caused by the outcome message, which the command caused
    assert Message.objects.get(pk=success.causation_id).causation_id == str(done)
    assert messaging.outcome(refused).status == DeliveryStatus.DEAD


# --- Crashes and lost or doubled wake-ups --------------------------------------------------------------------------


def test_a_worker_killed_mid_handler_leaves_no_partial_effect_and_the_delivery_completes_later(
    qcluster, sweeper, tmp_path
):
    pid_file = tmp_path / "crashy.pid"
    message_id = publish(Crashy(key="c", pid_file=str(pid_file)))
    worker_pid = int(wait_until(lambda: pid_file.exists() and pid_file.read_text(), message="the handler to start"))
    assert worker_pid in qcluster.children()

    os.kill(worker_pid, signal.SIGKILL)  # well inside the handler's 2s timeout and 3s lease

    assert not Effect.objects.exists(), "the killed attempt's effect was committed"
    assert status_of(message_id, "tests.crashy") == DeliveryStatus.RUNNING  # until the sweeper sees the lease expire
    wait_until(lambda: status_of(message_id, "tests.crashy") == DeliveryStatus.SUCCEEDED, message="the retry")
    delivery = Delivery.objects.get(message_id=message_id)
    assert delivery.attempts == 2
    expiry = JournalEntry.objects.get(message_id=message_id, step=Step.FAILED)
    assert (expiry.actor, expiry.attempt) == ("sweeper", 1)
    assert expiry.detail.startswith("lease expired")
    assert list(Effect.objects.values_list("handler", "attempt")) == [("crashy", 2)]

    after = publish(Ping(key="after-the-crash"))  # the cluster replaced its worker and goes on
    wait_until(lambda: Delivery.objects.filter(message_id=after, status=DeliveryStatus.SUCCEEDED).count() == 2)
    assert worker_pid not in qcluster.children()


def test_a_delivery_whose_wake_up_was_lost_is_run_once_the_sweeper_runs(transactional_db, request):
    message_id = publish(Positive(number=5))
    wakeup.broker().purge_queue()  # the wake-up sent on commit is lost: say the broker restarted
    assert wakeups_in_broker() == 0
    time.sleep(1.0)  # nothing wakes a worker meanwhile
    assert status_of(message_id, "tests.positive") == DeliveryStatus.PENDING

    request.getfixturevalue("sweeper")
    wait_until(lambda: wakeups_in_broker() > 0, message="the sweeper's wake-up")
    request.getfixturevalue("qcluster")
    wait_until(lambda: status_of(message_id, "tests.positive") == DeliveryStatus.SUCCEEDED, message="the delivery")
    assert list(Effect.objects.values_list("handler", "key")) == [("positive", "5")]


def test_a_cluster_sweeps_for_itself_so_a_lost_wake_up_runs_without_a_sweeper(transactional_db, request):
    message_id = publish(Positive(number=5))
    wakeup.broker().purge_queue()
    assert wakeups_in_broker() == 0

    request.getfixturevalue("qcluster")  # no sweeper: the cluster's supervisor sweeps every sweep_interval

    wait_until(lambda: status_of(message_id, "tests.positive") == DeliveryStatus.SUCCEEDED, message="the delivery")
    assert list(Effect.objects.values_list("handler", "key")) == [("positive", "5")]


def test_a_delivery_woken_many_times_at_once_runs_once(transactional_db, request):
    message_id = publish(Positive(number=6))
    for _ in range(10):  # wake() would coalesce these; a re-delivered or duplicated task would not
        async_task(wakeup.RUN_DUE_DELIVERIES, broker=wakeup.broker())
    assert wakeups_in_broker() == 11

    request.getfixturevalue("qcluster")  # both workers take wake-ups at once and race for the one delivery
    wait_until(lambda: status_of(message_id, "tests.positive") == DeliveryStatus.SUCCEEDED, message="the delivery")
    wait_until(lambda: wakeups_in_broker() == 0, message="every wake-up to be handled")

    delivery = Delivery.objects.get(message_id=message_id)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)
    journal = JournalEntry.objects.filter(message_id=message_id).order_by("seq")
    assert [entry.step for entry in journal] == [Step.PUBLISHED, Step.STARTED, Step.SUCCEEDED]
    assert Effect.objects.count() == 1


# --- Stored messages a worker must refuse: dead-lettered at once, handler never run ---------------------------------


def publish_altered(event, *, resign: bool, **changes) -> str:
    """Publish ``event`` with its stored row changed before commit, as a later contract change or a hand edit would."""
    with transaction.atomic():
        message_id = messaging.publish(event)
        row = Message.objects.get(pk=message_id)
        for field, value in changes.items():
            setattr(row, field, value)
        if resign:
            row.signature = signing.sign(row)
        row.save()
    return message_id


def dead_letter(message_id) -> Delivery:
    return wait_until(
        lambda: Delivery.objects.filter(message_id=message_id, status=DeliveryStatus.DEAD).first(),
        message=f"message {message_id} to be dead-lettered",
    )


def assert_refused_at_once(delivery: Delivery, reason: str) -> None:
    assert (delivery.attempts, delivery.max_attempts) == (1, 1)
    assert delivery.last_error.startswith(reason)
    journal = JournalEntry.objects.filter(message_id=delivery.message_id).order_by("seq")
    assert [entry.step for entry in journal] == [Step.PUBLISHED, Step.STARTED, Step.FAILED, Step.DEAD_LETTERED]
    assert journal.last().detail.startswith(f"permanent error: {reason}")


def test_an_invalid_payload_and_an_unknown_type_are_dead_lettered_without_retries(qcluster):
    invalid = publish_altered(Positive(number=1), resign=True, payload={"number": -1})
    unknown = publish_altered(Positive(number=2), resign=True, type="tests.Vanished")

    assert_refused_at_once(dead_letter(invalid), "invalid payload for tests.Positive")
    assert_refused_at_once(dead_letter(unknown), "unknown message type 'tests.Vanished'")
    assert not Effect.objects.exists()


def test_a_row_edited_in_the_database_is_refused_as_a_signature_mismatch(qcluster):
    edited = publish_altered(Positive(number=3), resign=False, payload={"number": 4})

    assert_refused_at_once(dead_letter(edited), "signature mismatch")
    assert not Effect.objects.exists()  # the handler never ran, with either payload


@pytest.mark.parametrize("grace", ["-1", "3601"])
def test_a_stop_grace_out_of_range_is_refused_before_anything_starts(grace):
    with pytest.raises(CommandError, match="--stop-grace must be between 0 and 3600 seconds"):
        call_command("qcluster", "--stop-grace", grace)
