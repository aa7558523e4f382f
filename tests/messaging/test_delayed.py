from datetime import datetime, timedelta

import pytest
from django.utils import timezone

import messaging
from messaging.models import Delivery, DeliveryStatus, JournalEntry, Message, Step
from tests.testapp.contracts import DoWork, Ping

pytestmark = pytest.mark.django_db


def test_a_delayed_event_is_not_claimed_before_it_is_due(run_deliveries):
    messaging.publish(Ping(key="k"), delay=timedelta(minutes=5))

    assert run_deliveries() == 0
    assert run_deliveries(now=timezone.now() + timedelta(minutes=4)) == 0

    assert set(Delivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.PENDING, 0)}


def test_a_delayed_event_runs_once_it_is_due(run_deliveries):
    messaging.publish(Ping(key="k"), delay=300)

    assert run_deliveries(now=timezone.now() + timedelta(minutes=5, seconds=1)) == 2

    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}


def test_a_command_can_wait_until_a_given_moment(run_deliveries):
    due = timezone.now() + timedelta(hours=1)
    command_id = messaging.send(DoWork(key="k"), not_before=due)

    assert run_deliveries(now=due - timedelta(seconds=1)) == 0
    assert run_deliveries(now=due) == 1

    assert Message.objects.get(pk=command_id).not_before == due
    assert messaging.outcome(command_id).status == DeliveryStatus.SUCCEEDED


def test_the_journal_says_when_a_delayed_message_is_due():
    due = timezone.now() + timedelta(hours=1)

    messaging.publish(Ping(key="k"), not_before=due)

    assert JournalEntry.objects.get(step=Step.PUBLISHED).detail.endswith(f"; due {due.isoformat()}")


def test_a_moment_in_the_past_makes_the_message_due_at_once(run_deliveries):
    messaging.publish(Ping(key="k"), not_before=timezone.now() - timedelta(hours=1))

    assert run_deliveries() == 2


@pytest.mark.parametrize(
    ("timing", "error"),
    [
        ({"delay": -1}, "delay cannot be negative"),
        ({"delay": timedelta(seconds=-5)}, "delay cannot be negative"),
        ({"not_before": datetime(2030, 1, 1, 12, 0)}, "not_before must be timezone-aware"),
        ({"delay": 5, "not_before": timezone.now()}, "give delay or not_before, not both"),
    ],
    ids=["negative-seconds", "negative-timedelta", "naive-datetime", "both"],
)
def test_a_bad_delay_fails_at_the_call(timing, error):
    with pytest.raises(ValueError, match=error):
        messaging.publish(Ping(key="k"), **timing)
    with pytest.raises(ValueError, match=error):
        messaging.send(DoWork(key="k"), **timing)

    assert not Message.objects.exists()
