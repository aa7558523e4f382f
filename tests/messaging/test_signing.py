import pytest
from django.conf import settings
from django.test import override_settings

import messaging
from messaging.models import Delivery, DeliveryStatus, JournalEntry, Message, Step
from messaging.runtime import signing
from tests.testapp.contracts import DoWork, Ping, Positive
from tests.testapp.models import Effect

pytestmark = pytest.mark.django_db

OLD_KEY = settings.SECRET_KEY
NEW_KEY = "rotated-" + "y" * 50


@pytest.mark.parametrize(
    "alteration",
    [
        {"payload": {"number": 1000}},
        {"type": "tests.Ping"},
        {"correlation_id": "someone-elses"},
        {"reply_to": "tests.work_outcome"},
    ],
    ids=["payload", "type", "correlation", "reply_to"],
)
def test_a_message_altered_in_the_database_is_dead_lettered_and_never_handled(run_deliveries, alteration):
    messaging.publish(Positive(number=1))
    Message.objects.update(**alteration)

    assert run_deliveries() == 1

    assert not Effect.objects.exists()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DEAD, 1)
    assert delivery.last_error == "signature mismatch: the stored message was altered"
    assert JournalEntry.objects.filter(step=Step.DEAD_LETTERED).count() == 1


def test_an_untouched_message_survives_the_round_trip_through_the_database():
    command_id = messaging.send(DoWork(key="ünïcode ✓"), delay=30)

    row = Message.objects.get(pk=command_id)

    assert signing.is_authentic(row)
    assert row.signature == signing.sign(row)


def test_the_signature_depends_on_the_key():
    messaging.publish(Ping(key="k"))
    row = Message.objects.get()

    assert signing.sign(row, OLD_KEY) != signing.sign(row, NEW_KEY)


def test_messages_signed_with_a_retired_key_still_verify_while_it_is_a_fallback(run_deliveries):
    messaging.publish(Ping(key="k"))

    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY]):
        assert run_deliveries() == 2

    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}


def test_messages_signed_with_a_key_no_longer_listed_are_dead_lettered(run_deliveries):
    messaging.publish(Ping(key="k"))

    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]):
        assert run_deliveries() == 2

    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DEAD}
    assert not Effect.objects.exists()
