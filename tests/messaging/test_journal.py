import pytest

import messaging
from messaging.models import JournalEntry, Step
from messaging.runtime import journal
from tests.testapp.contracts import DoWork, Flaky, Ping, Rejected
from tests.testapp.handlers import work_outcome

pytestmark = pytest.mark.django_db


def steps_of(message_id):
    return list(
        JournalEntry.objects.filter(message_id=message_id).order_by("seq").values_list("step", "handler", "attempt")
    )


def test_a_retried_delivery_is_journaled_step_by_step_in_order(run_deliveries):
    event_id = messaging.publish(Flaky(key="k", fail_times=1))

    run_deliveries()

    assert steps_of(event_id) == [
        (Step.PUBLISHED, "", None),
        (Step.STARTED, "tests.flaky", 1),
        (Step.FAILED, "tests.flaky", 1),
        (Step.RETRY_SCHEDULED, "tests.flaky", 1),
        (Step.STARTED, "tests.flaky", 2),
        (Step.SUCCEEDED, "tests.flaky", 2),
    ]


def test_a_dead_letter_is_journaled_with_its_failure(run_deliveries):
    event_id = messaging.publish(Rejected(key="k"))

    run_deliveries()

    assert [step for step, _, _ in steps_of(event_id)] == [
        Step.PUBLISHED,
        Step.STARTED,
        Step.FAILED,
        Step.DEAD_LETTERED,
    ]
    failed = JournalEntry.objects.get(message_id=event_id, step=Step.FAILED)
    assert (failed.detail, failed.actor) == ("k can never be handled", "test")


def test_a_command_and_its_outcome_tell_one_correlated_story(run_deliveries):
    command_id = messaging.send(DoWork(key="k"), reply_to=work_outcome)

    run_deliveries()

    sent = JournalEntry.objects.get(step=Step.SENT, message_id=command_id)
    story = JournalEntry.objects.filter(correlation_id=sent.correlation_id).order_by("seq")
    assert [(e.step, e.type) for e in story] == [
        (Step.SENT, "tests.DoWork"),
        (Step.STARTED, "tests.DoWork"),
        (Step.SUCCEEDED, "tests.DoWork"),
        (Step.SENT, "messaging.CommandOutcome"),
        (Step.STARTED, "messaging.CommandOutcome"),
        (Step.SUCCEEDED, "messaging.CommandOutcome"),
    ]


def test_a_reader_resuming_after_a_seq_sees_exactly_the_steps_that_came_later(run_deliveries):
    messaging.publish(Ping(key="k"))
    (published,) = JournalEntry.objects.all()

    run_deliveries()

    later = list(JournalEntry.objects.filter(seq__gt=published.seq).order_by("seq"))
    assert [(e.step, e.handler) for e in later] == [
        (Step.STARTED, "tests.ping_a"),
        (Step.SUCCEEDED, "tests.ping_a"),
        (Step.STARTED, "tests.ping_b"),
        (Step.SUCCEEDED, "tests.ping_b"),
    ]
    assert [e.at for e in later] == sorted(e.at for e in later)
    assert min(e.at for e in later) >= published.at


def test_an_operational_step_is_journaled_without_a_message():
    entry = journal.record(Step.PAUSED, handler="tests.ping_a", context="tests", actor="admin:ops")

    stored = JournalEntry.objects.get(seq=entry.seq)
    assert (stored.step, stored.message_id, stored.handler, stored.actor) == (
        Step.PAUSED,
        None,
        "tests.ping_a",
        "admin:ops",
    )
