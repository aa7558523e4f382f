"""The message types page: generated from the registry, with senders, handlers, the hour's counts and flags."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

import messaging
from marketplace.dashboard.message_types import message_types
from messaging import Command, Event
from messaging.models import Message
from messaging.runtime.claims import delivery_claim_next
from messaging.runtime.context import Causation, causation
from messaging.runtime.registry import registry
from tests.testapp.contracts import DoWork, Ping, Positive
from tests.testapp.handlers import work_outcome
from tests.vendors.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def throwaway_types():
    """An event and a command declared for this test only, with no handler; forgotten afterwards."""

    class Unheard(Event):
        """Declared, and nobody listens."""

        key: str

    class Unobeyed(Command):
        key: str

    yield Unheard, Unobeyed
    for cls in (Unheard, Unobeyed):
        registry.messages.pop(cls.name)


@pytest.fixture
def throwaway_handler():
    """A handler of an event, registered for this test only."""

    class Whisper(Event):
        key: str

    @messaging.handler(Whisper, name="tests.whisper_listener")
    def whisper_listener(event):
        pass

    yield Whisper
    registry.unregister_handler("tests.whisper_listener")
    registry.messages.pop(Whisper.name)
    registry.subscribers.pop(Whisper.name, None)


def types_by_name(now=None):
    return {t.name: t for t in message_types(now=now).types}


def test_only_staff_see_the_message_types(staff_client):
    customer = Client()
    customer.force_login(UserFactory(is_staff=False))
    assert Client().get("/dashboard/message-types/").status_code == 302
    assert customer.get("/dashboard/message-types/").status_code == 302
    assert staff_client.get("/dashboard/message-types/").status_code == 200


def test_the_pages_former_address_still_leads_there(staff_client):
    response = staff_client.get("/dashboard/catalogue/", follow=True)

    assert response.redirect_chain == [("/dashboard/message-types/", 301)]
    assert "<h1>Message types</h1>" in response.content.decode()


def test_every_registered_type_is_listed_with_its_kind_owner_version_and_schema():
    types = types_by_name()
    assert set(types) == set(registry.messages)
    notify = types["vendors.NotifyVendor"]
    assert (notify.kind, notify.context, notify.version) == ("command", "vendors", 1)
    assert '"vendor_id"' in notify.schema
    assert '"lines"' in notify.schema
    paid = types["orders.OrderPaid"]
    assert (paid.kind, paid.context) == ("event", "orders")
    assert paid.doc.startswith("A fact, published in both styles.")


def test_handlers_are_the_registrys_and_command_outcomes_go_to_the_reply_handlers():
    types = types_by_name()
    assert [(h.name, h.context) for h in types["tests.Ping"].handlers] == [
        ("tests.ping_a", "tests"),
        ("tests.ping_b", "tests"),
    ]
    assert [h.name for h in types["orders.OrderPaid"].handlers] == [
        "orders.receipt_email",
        "vendors.notify_vendors_of_paid_order",
    ]
    outcome_handlers = {h.name for h in types["messaging.CommandOutcome"].handlers}
    assert {"orders.notify_vendor_outcome", "tests.work_outcome"} <= outcome_handlers
    assert not types["messaging.CommandOutcome"].never_handled


def test_events_are_published_by_their_owner_and_commands_by_the_senders_seen_in_the_hour(run_deliveries):
    # given DoWork sent once from a web request and once from inside a handler of the tests context
    with causation(Causation(correlation_id="c-web", actor="web")):
        messaging.send(DoWork(key="from-web"), reply_to=work_outcome)
    with causation(Causation(correlation_id="c-handler", actor="tests.ping_a")):
        messaging.send(DoWork(key="from-handler"))
    messaging.send(DoWork(key="from-a-script"))  # no actor: a management command, the shell
    run_deliveries()  # do_work's outcomes are sent to work_outcome while tests.do_work runs
    types = types_by_name()
    assert types["tests.DoWork"].senders == ["outside a handler", "tests", "web"]
    assert types["messaging.CommandOutcome"].senders == ["tests"]
    assert types["tests.Ping"].senders == ["tests"]  # an event: its owner, seen or not
    assert types["vendors.NotifyVendor"].senders == []  # not sent in the hour


def test_counts_are_of_the_last_hour(run_deliveries):
    now = timezone.now()
    messaging.publish(Ping(key="a"))
    messaging.publish(Ping(key="b"))
    old = messaging.publish(Ping(key="old"))
    Message.objects.filter(pk=old).update(created_at=now - timedelta(hours=1, seconds=1))
    messaging.send(DoWork(key="w"))
    types = types_by_name(now)
    assert types["tests.Ping"].last_hour == 2
    assert types["tests.DoWork"].last_hour == 1
    assert types["tests.Positive"].last_hour == 0


def test_a_type_without_a_handler_is_flagged_declared_but_never_handled(staff_client, throwaway_types):
    unheard, unobeyed = throwaway_types
    result = message_types()
    # (other tests' throw-away types may linger in the registry: only these two are asserted on)
    flagged = {t.name for t in result.never_handled}
    assert {unheard.name, unobeyed.name} <= flagged
    assert not {"tests.Ping", "orders.OrderPaid", "messaging.CommandOutcome"} & flagged
    assert unheard.name == "tests.Unheard"
    page = staff_client.get("/dashboard/message-types/").content.decode()
    assert page.count("declared, never handled") == 1 + len(flagged)  # the flags box, and each type's row
    assert '<a href="#type-tests.Unheard"><code>tests.Unheard</code></a>' in page
    assert "Declared, and nobody listens." in page


def test_a_handler_is_flagged_never_run_until_one_of_its_deliveries_leaves_pending(
    staff_client, throwaway_handler, run_deliveries
):
    # given a registered handler with no delivery at all, and one whose delivery only waits
    messaging.publish(Positive(number=1))
    never_run = {h.name for h in message_types().handlers_never_run}
    assert {"tests.whisper_listener", "tests.positive", "tests.ping_a"} <= never_run
    page = staff_client.get("/dashboard/message-types/").content.decode()
    assert "tests.whisper_listener" in page and "never run" in page
    # when deliveries run (one claimed, the Pings all the way)
    assert delivery_claim_next(actor="test").delivery.handler == "tests.positive"
    messaging.publish(Ping(key="p"))
    run_deliveries()
    # then those handlers have run; the throw-away one still has not
    never_run = {h.name for h in message_types().handlers_never_run}
    assert "tests.whisper_listener" in never_run
    assert not {"tests.positive", "tests.ping_a", "tests.ping_b"} & never_run
    whisper = types_by_name()[throwaway_handler.name]
    assert [(h.name, h.never_run) for h in whisper.handlers] == [("tests.whisper_listener", True)]


def test_the_message_types_page_reads_a_bounded_number_of_queries(django_assert_max_num_queries, run_deliveries):
    for n in range(20):
        messaging.publish(Ping(key=str(n)))
    run_deliveries()
    # one per handler (EXISTS), one per type (count), the hour's first seq and the senders
    with django_assert_max_num_queries(len(registry.handlers) + len(registry.messages) + 2):
        message_types()
