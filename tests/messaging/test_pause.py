import re

import pytest

import messaging
from messaging import UnknownHandlerError
from messaging.controls import handler_pause, handler_resume
from messaging.models import Delivery, DeliveryStatus, HandlerState, JournalEntry, Step
from tests.testapp.contracts import Ping
from tests.testapp.models import Effect

pytestmark = pytest.mark.django_db


def test_a_paused_handlers_deliveries_wait_while_other_subscribers_run(run_deliveries):
    handler_pause(handler="tests.ping_a", actor="admin:ops")
    messaging.publish(Ping(key="k"))

    assert run_deliveries() == 1

    assert list(Effect.objects.values_list("handler", flat=True)) == ["ping_b"]
    waiting = Delivery.objects.get(handler="tests.ping_a")
    assert (waiting.status, waiting.attempts) == (DeliveryStatus.PENDING, 0)


def test_resuming_a_handler_runs_its_waiting_deliveries(run_deliveries, django_capture_on_commit_callbacks):
    handler_pause(handler="tests.ping_a", actor="admin:ops")
    messaging.publish(Ping(key="k"))
    run_deliveries()

    with django_capture_on_commit_callbacks() as callbacks:
        handler_resume(handler="tests.ping_a", actor="admin:ops")

    assert len(callbacks) == 1  # the workers are woken for what waited
    assert run_deliveries() == 1
    assert Delivery.objects.get(handler="tests.ping_a").status == DeliveryStatus.SUCCEEDED
    assert HandlerState.objects.get(handler="tests.ping_a").paused is False


def test_pausing_and_resuming_are_journaled_with_who_did_it():
    handler_pause(handler="tests.ping_a", actor="admin:ops")
    handler_resume(handler="tests.ping_a", actor="admin:other")

    entries = JournalEntry.objects.order_by("seq").values_list("step", "handler", "context", "actor")
    assert list(entries) == [
        (Step.PAUSED, "tests.ping_a", "tests", "admin:ops"),
        (Step.RESUMED, "tests.ping_a", "tests", "admin:other"),
    ]


def test_pausing_an_unknown_handler_fails_clearly():
    with pytest.raises(UnknownHandlerError, match=re.escape("unknown handler 'tests.no_such_handler'")):
        handler_pause(handler="tests.no_such_handler", actor="admin:ops")
    with pytest.raises(UnknownHandlerError, match=re.escape("unknown handler 'tests.no_such_handler'")):
        handler_resume(handler="tests.no_such_handler", actor="admin:ops")

    assert not HandlerState.objects.exists()
    assert not JournalEntry.objects.exists()
