import re

import pytest
from pydantic import ValidationError

import messaging
from messaging import Command, DuplicateHandlerError, Event, NoHandlerError, UnknownHandlerError, handler
from messaging.models import Delivery, DeliveryStatus, JournalEntry, Message, Step
from messaging.runtime.registry import registry
from tests.testapp.contracts import DoWork, Ping, Positive
from tests.testapp.handlers import ping_a


class NobodyHandles(Command):
    key: str


class NobodyListens(Event):
    key: str


@pytest.mark.django_db
def test_a_command_nobody_handles_fails_at_the_call():
    with pytest.raises(NoHandlerError, match=re.escape("no handler accepts command tests.NobodyHandles")):
        messaging.send(NobodyHandles(key="k"))

    assert not Message.objects.exists()


def test_a_second_handler_for_a_command_is_refused():
    def do_work_again(command):
        pass

    with pytest.raises(DuplicateHandlerError, match=r"already has a handler \(tests.do_work\)"):
        handler(DoWork)(do_work_again)

    assert [h.name for h in registry.handlers_for(DoWork)] == ["tests.do_work"]
    assert "tests.do_work_again" not in registry.handlers


def test_two_handlers_cannot_share_a_name():
    def another_ping(event):
        pass

    with pytest.raises(DuplicateHandlerError, match=re.escape("two handlers are named 'tests.ping_a'")):
        handler(Ping, name="tests.ping_a")(another_ping)

    assert registry.handler("tests.ping_a").func is ping_a


def test_one_function_cannot_handle_two_types_under_one_name():
    with pytest.raises(DuplicateHandlerError, match="give one of them another name"):
        handler(Positive)(ping_a)

    assert registry.handler("tests.ping_a").message_type is Ping


def test_only_message_classes_can_be_handled():
    with pytest.raises(TypeError, match="takes a Command or Event class"):
        handler(Ping(key="k"))


@pytest.mark.django_db
def test_send_writes_the_command_with_one_delivery_to_its_handler():
    command_id = messaging.send(DoWork(key="k"))

    row = Message.objects.get(pk=command_id)
    assert (row.kind, row.type, row.payload) == ("command", "tests.DoWork", {"key": "k", "fail": False})
    assert list(row.deliveries.values_list("handler", "status")) == [("tests.do_work", DeliveryStatus.PENDING)]
    assert JournalEntry.objects.get(message_id=command_id).step == Step.SENT


@pytest.mark.django_db
def test_publish_fans_out_one_delivery_per_subscriber():
    event_id = messaging.publish(Ping(key="k"))

    deliveries = Delivery.objects.filter(message_id=event_id)
    assert sorted(deliveries.values_list("handler", flat=True)) == ["tests.ping_a", "tests.ping_b"]
    assert {d.status for d in deliveries} == {DeliveryStatus.PENDING}
    assert JournalEntry.objects.get(message_id=event_id).detail == "tests.ping_a, tests.ping_b"


@pytest.mark.django_db
def test_an_event_without_subscribers_is_recorded_with_no_delivery(run_deliveries):
    event_id = messaging.publish(NobodyListens(key="k"))

    assert Message.objects.filter(pk=event_id).exists()
    assert not Delivery.objects.exists()
    assert JournalEntry.objects.get(message_id=event_id).detail == "no subscribers"
    assert run_deliveries() == 0


@pytest.mark.django_db
def test_the_wrong_verb_fails_at_the_call():
    with pytest.raises(TypeError, match="use send"):
        messaging.publish(DoWork(key="k"))
    with pytest.raises(TypeError, match="use publish"):
        messaging.send(Ping(key="k"))

    assert not Message.objects.exists()


@pytest.mark.django_db
def test_an_invalid_event_fails_at_construction_so_nothing_is_published():
    with pytest.raises(ValidationError):
        messaging.publish(Positive(number=-1))

    assert not Message.objects.exists()


@pytest.mark.django_db
def test_reply_to_must_name_a_reply_handler():
    with pytest.raises(
        UnknownHandlerError, match=re.escape("tests.ping_a handles tests.Ping; it is not a reply handler")
    ):
        messaging.send(DoWork(key="k"), reply_to=ping_a)
    with pytest.raises(UnknownHandlerError, match="is not a registered reply handler"):
        messaging.send(DoWork(key="k"), reply_to=lambda outcome: None)
    with pytest.raises(UnknownHandlerError, match=re.escape("unknown handler 'tests.nobody'")):
        messaging.send(DoWork(key="k"), reply_to="tests.nobody")

    assert not Message.objects.exists()
