"""Rows edited behind the system's back while it runs: each is refused, dead-lettered with its reason, or
recovered; everything else flows."""

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

import messaging
from messaging.models import Delivery, DeliveryStatus, HandlerState, Message
from messaging.runtime import signing
from tests.faults import ledger
from tests.faults.scenario import judge, start_load
from tests.processes import wait_until
from tests.testapp.contracts import Positive
from tests.testapp.models import Effect


def held_back(number: int) -> Message:
    """A message whose handler is paused: it waits, for the test to tamper with it."""
    with transaction.atomic():
        message_id = messaging.publish(Positive(number=number))
    return Message.objects.get(pk=message_id)


def resign(row: Message) -> None:
    row.signature = signing.sign(row)
    row.save()


def test_14_tampered_rows(stack, shop, report):
    load = start_load(stack, shop, rate=2.0)
    HandlerState.objects.create(handler="tests.positive", paused=True)

    unsigned = held_back(1)
    Message.objects.filter(pk=unsigned.pk).update(payload={"number": 1000})  # edited, not re-signed
    unknown = held_back(2)
    unknown.type = "tests.NoSuchMessage"
    resign(unknown)  # signed with the key, yet no code knows the type
    oversized = held_back(3)
    oversized.payload = {"number": 3, "padding": "x" * 100_000}
    resign(oversized)
    absurd = held_back(4)
    Delivery.objects.filter(message=absurd).update(
        status=DeliveryStatus.RUNNING, lease_token=uuid.uuid4(), lease_expires_at=timezone.now() + timedelta(days=30)
    )
    bad_status = held_back(5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.filter(message=bad_status).update(status="on_hold")

    HandlerState.objects.filter(handler="tests.positive").update(paused=False)
    wait_until(lambda: not ledger.due_work().filter(handler="tests.positive").exists(), timeout=60,
               message="the tampered deliveries to be settled")  # fmt: skip

    def fate(row):
        delivery = Delivery.objects.get(message=row)
        return delivery.status, delivery.last_error

    assert fate(unsigned) == (DeliveryStatus.DEAD, "signature mismatch: the stored message was altered")
    assert fate(unknown)[0] == DeliveryStatus.DEAD and "tests.NoSuchMessage" in fate(unknown)[1]
    assert fate(oversized)[0] == DeliveryStatus.DEAD and "over the 65536-byte limit" in fate(oversized)[1]
    assert fate(absurd)[0] == DeliveryStatus.SUCCEEDED  # taken back by the sweeper, then run
    assert fate(bad_status)[0] == DeliveryStatus.SUCCEEDED  # the edit was refused: it ran as it was
    assert sorted(Effect.objects.values_list("key", flat=True)) == ["4", "5"]
    judge(stack, shop, report, load=load, dead=3, tampered=5)
