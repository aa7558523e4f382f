"""A delivery's next attempt reads as a relative time, and one that is due already says what holds it: the ledger
and the flow view never show a "next attempt" in the past without a reason."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

import messaging
from messaging.models import BreakerState, CircuitBreaker, Delivery, Message
from messaging.operations import actions as operations
from tests.testapp.contracts import Ping

pytestmark = pytest.mark.django_db

RELATIVE = r'<time datetime="[^"]+" title="\d+ \w{3} \d{4}, \d\d:\d\d:\d\d UTC" data-relative>in \d+ s</time>'


@pytest.fixture
def due_ping():
    """A Ping whose two deliveries (tests.ping_a, tests.ping_b, context tests) were due a minute ago."""
    messaging.publish(Ping(key="held"))
    Delivery.objects.update(available_at=timezone.now() - timedelta(minutes=1))
    return Message.objects.get()


def pages(client, message) -> list[str]:
    ledger = client.get(f"/dashboard/messages/{message.pk}/").content.decode()
    flow = client.get(f"/dashboard/flow/{message.correlation_id}/").content.decode()
    return [ledger, flow]


def test_a_due_delivery_held_by_an_open_breaker_says_so_and_when_it_probes(staff_client, due_ping):
    CircuitBreaker.objects.create(
        context="tests",
        state=BreakerState.OPEN,
        consecutive_failures=6,
        open_until=timezone.now() + timedelta(seconds=8),
    )
    for page in pages(staff_client, due_ping):
        assert re.search(
            r'<span class="held" title="due since [^"]+ UTC">held by open breaker, probes</span> ' + RELATIVE, page
        )


def test_a_due_delivery_of_a_paused_handler_says_it_is_paused(staff_client, due_ping):
    operations.handler_pause("tests.ping_a", actor="user:operator")
    for page in pages(staff_client, due_ping):
        assert "held: its handler is paused</span>" in page
        assert "due, waiting for a worker</span>" in page  # its sibling, not paused


def test_a_delivery_not_due_yet_reads_when_relatively(staff_client, due_ping):
    Delivery.objects.update(available_at=timezone.now() + timedelta(seconds=12))
    for page in pages(staff_client, due_ping):
        assert re.search(RELATIVE, page)
        assert 'class="held"' not in page
