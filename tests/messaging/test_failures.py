import random
from datetime import timedelta

import pytest
from django.utils import timezone

import messaging
from messaging import RetryPolicy
from messaging.models import Delivery, DeliveryStatus, JournalEntry, Message, Step
from messaging.operations.actions import dead_letters_retry
from messaging.runtime import signing
from tests.testapp.contracts import Doomed, Flaky, Positive, Rejected
from tests.testapp.handlers import FAST
from tests.testapp.models import Effect


def later(minutes=10):
    """A moment after every delayed retry of the FAST policy is due."""
    return timezone.now() + timedelta(minutes=minutes)


def tamper_and_resign(**changes) -> Message:
    """Change a stored message as a contract change would, with a valid signature."""
    row = Message.objects.get()
    for field, value in changes.items():
        setattr(row, field, value)
    row.signature = signing.sign(row)
    row.save()
    return row


@pytest.mark.django_db
def test_a_handler_that_fails_twice_then_succeeds_ends_succeeded_after_three_attempts(run_deliveries):
    messaging.publish(Flaky(key="k", fail_times=2))

    assert run_deliveries() == 3

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SUCCEEDED, 3, "")


@pytest.mark.django_db
def test_a_handler_that_always_fails_is_dead_lettered_while_its_sibling_succeeds_once(run_deliveries):
    messaging.publish(Doomed(key="k"))

    run_deliveries()  # the immediate retries
    run_deliveries(now=later())  # the delayed ones

    doomed = Delivery.objects.get(handler="tests.doomed_fails")
    assert (doomed.status, doomed.attempts, doomed.max_attempts) == (DeliveryStatus.DEAD, FAST.max_attempts, 5)
    assert doomed.last_error == "RuntimeError: this subscriber always fails"
    assert "raise RuntimeError" in doomed.traceback
    sibling = Delivery.objects.get(handler="tests.doomed_sibling")
    assert (sibling.status, sibling.attempts) == (DeliveryStatus.SUCCEEDED, 1)
    assert list(Effect.objects.values_list("handler", flat=True)) == ["doomed_sibling"]
    dead = JournalEntry.objects.get(step=Step.DEAD_LETTERED)
    assert dead.detail == "gave up after 5 attempts: RuntimeError: this subscriber always fails"


@pytest.mark.django_db
def test_a_failed_attempt_is_retried_no_sooner_than_its_backoff(run_deliveries):
    messaging.publish(Flaky(key="k", fail_times=9))

    assert run_deliveries() == 3  # one attempt and two immediate retries

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    backoff = (delivery.available_at - delivery.updated_at).total_seconds()
    assert FAST.base_delay * 0.9 <= backoff <= FAST.base_delay * 1.1
    assert JournalEntry.objects.filter(step=Step.RETRY_SCHEDULED).first().detail == f"attempt 4 of 5 in {backoff:.1f}s"
    assert run_deliveries() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("message", "changes", "reason"),
    [
        (Rejected(key="k"), {}, "k can never be handled"),
        (Positive(number=1), {"payload": {"number": -1}}, "invalid payload for tests.Positive"),
        (Positive(number=1), {"version": 2}, "tests.Positive version 2 is not supported"),
        (Positive(number=1), {"type": "tests.Vanished"}, "unknown message type 'tests.Vanished'"),
    ],
    ids=["permanent-error", "invalid-payload", "unsupported-version", "unknown-type"],
)
def test_a_permanent_failure_is_dead_lettered_at_once_with_its_reason(run_deliveries, message, changes, reason):
    messaging.publish(message)
    if changes:
        tamper_and_resign(**changes)

    assert run_deliveries() == 1

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.max_attempts) == (DeliveryStatus.DEAD, 1, 1)
    assert delivery.last_error.startswith(reason)
    assert "Error" in delivery.traceback
    assert not Effect.objects.exists()
    assert JournalEntry.objects.get(step=Step.DEAD_LETTERED).detail.startswith(f"permanent error: {reason}")


@pytest.mark.django_db
def test_a_delivery_to_a_handler_that_no_longer_exists_is_dead_lettered_at_once(run_deliveries):
    messaging.publish(Positive(number=1))
    Delivery.objects.update(handler="tests.removed_handler")

    assert run_deliveries() == 1

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DEAD, 1)
    assert delivery.last_error == "unknown handler 'tests.removed_handler'"


def test_the_retry_policy_retries_immediately_then_backs_off_exponentially_within_the_jitter():
    policy = RetryPolicy(immediate=2, delayed=3, base_delay=2, factor=4, jitter=0.2)
    rng = random.Random(7)

    runs = [[policy.delay_after(attempt, rng) for attempt in range(1, 7)] for _ in range(200)]

    assert policy.max_attempts == 6  # one attempt, two immediate retries, three delayed ones
    assert {(run[0], run[1], run[5]) for run in runs} == {(0.0, 0.0, None)}
    for attempt, nominal in [(3, 2), (4, 8), (5, 32)]:
        observed = [run[attempt - 1] for run in runs]
        assert nominal * 0.8 <= min(observed) < nominal < max(observed) <= nominal * 1.2


def test_backoff_is_capped_and_a_policy_without_retries_gives_up_after_one_attempt():
    capped = RetryPolicy(immediate=0, delayed=5, base_delay=100, factor=10, max_delay=300, jitter=0)
    assert [capped.delay_after(n) for n in range(1, 6)] == [100, 300, 300, 300, 300]
    assert RetryPolicy(immediate=0, delayed=0).delay_after(1) is None
    with pytest.raises(ValueError):
        RetryPolicy(jitter=1)


@pytest.mark.django_db
def test_retrying_a_dead_letter_gives_it_fresh_attempts_and_journals_it(run_deliveries):
    messaging.publish(Positive(number=1))
    row = tamper_and_resign(type="tests.Vanished")
    run_deliveries()
    tamper_and_resign(type=row.type.replace("Vanished", "Positive"))  # the contract is back

    assert dead_letters_retry(Delivery.objects.all(), actor="admin:ops") == 1

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.finished_at) == (DeliveryStatus.PENDING, 0, None)
    retried = JournalEntry.objects.get(step=Step.RETRIED)
    assert (retried.actor, retried.detail) == ("admin:ops", "after: unknown message type 'tests.Vanished'")
    assert run_deliveries() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)
    assert dead_letters_retry(Delivery.objects.all(), actor="admin:ops") == 0  # only dead letters are revived
