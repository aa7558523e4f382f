"""Every row is recoverable or visible: no status outside the known ones, no running delivery without a worker
that will ever finish it, no payload bigger than the documented limit."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

import messaging
from messaging.errors import MessageTooLargeError
from messaging.models import CircuitBreaker, Delivery, DeliveryStatus, JournalEntry, Message, Step
from messaging.operations.status import status_snapshot
from messaging.processes.sweeper import expire_leases
from messaging.runtime import signing
from messaging.runtime.claims import delivery_claim_next
from tests.messaging.replay_helpers import run_command
from tests.testapp.contracts import Ping, Positive

pytestmark = pytest.mark.django_db


def running(**lease):
    """A delivery left running with the given lease fields (as a tampered or crashed row)."""
    messaging.publish(Positive(number=1))
    claim = delivery_claim_next(actor="worker:gone")
    Delivery.objects.filter(pk=claim.delivery.pk).update(**lease)
    return claim.delivery.pk


def anomaly_kinds() -> dict[str, int]:
    return {a["kind"]: a["count"] for a in status_snapshot()["anomalies"]}


def test_the_database_refuses_a_delivery_status_nobody_knows():
    messaging.publish(Positive(number=1))

    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.update(status="paused")

    assert Delivery.objects.get().status == DeliveryStatus.PENDING


@pytest.mark.parametrize(
    ("lease", "reason"),
    [
        ({"lease_expires_at": None}, "running with no lease"),
        ({"lease_token": None}, "running with no lease"),
        ({"lease_expires_at": timezone.now() + timedelta(days=3)}, "in the future, longer than any handler's"),
    ],
    ids=["no-expiry", "no-token", "far-future"],
)
def test_a_running_delivery_no_lease_will_ever_free_is_shown_then_taken_back_by_the_sweeper(lease, reason):
    pk = running(**lease)
    assert anomaly_kinds() != {}
    assert "Anomalies: none" not in run_command("messaging_status")

    assert expire_leases(timezone.now()) == 1

    delivery = Delivery.objects.get(pk=pk)
    assert (delivery.status, delivery.attempts, delivery.lease_token) == (DeliveryStatus.FAILED, 1, None)
    assert reason in delivery.last_error
    assert not CircuitBreaker.objects.filter(consecutive_failures__gt=0).exists()
    assert anomaly_kinds() == {}


def test_a_running_delivery_with_a_sensible_lease_is_not_an_anomaly():
    running()

    assert expire_leases(timezone.now()) == 0
    assert anomaly_kinds() == {}


@override_settings(MESSAGING={"max_payload_bytes": 100})
def test_a_payload_over_the_limit_is_refused_at_publish_and_nothing_is_written():
    too_large = r"tests.Ping payload is \d+ bytes, over the 100-byte limit"
    with pytest.raises(MessageTooLargeError, match=too_large), transaction.atomic():
        messaging.publish(Ping(key="x" * 200))

    assert not Message.objects.exists()
    assert not JournalEntry.objects.exists()


def test_a_stored_payload_over_the_limit_is_shown_then_dead_lettered_never_run(run_deliveries):
    message_id = messaging.publish(Positive(number=1))
    row = Message.objects.get(pk=message_id)
    row.payload = {"number": 1, "padding": "x" * 200}
    row.signature = signing.sign(row)  # authentic, only too big (written under a larger limit)
    row.save()

    with override_settings(MESSAGING={"max_payload_bytes": 100}):
        assert anomaly_kinds() == {"waiting with a payload over the size limit": 1}
        run_deliveries()

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.DEAD
    assert "over the 100-byte limit" in delivery.last_error
    assert JournalEntry.objects.filter(step=Step.DEAD_LETTERED, message_id=message_id).exists()
