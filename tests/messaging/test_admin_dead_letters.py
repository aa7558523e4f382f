"""The admin's dead letters and deliveries: each order and error shown, filtered, and actions that ask before
they repeat work that succeeded, retry what will fail the same way, or archive."""

import pytest
from django.urls import reverse

import messaging
from messaging.models import DeadLetter, Delivery, DeliveryStatus, JournalEntry, Message, Step
from tests.testapp.contracts import Chain, Doomed, Rejected

LIST = reverse("admin:messaging_deadletter_changelist")
DELIVERIES = reverse("admin:messaging_delivery_changelist")


@pytest.fixture
def dead(db, run_deliveries):
    """Two dead letters: a Rejected (a permanent error) and a Doomed whose subscriber gave up (transient)."""
    rejected = messaging.publish(Rejected(key="refused"))
    doomed = messaging.publish(Doomed(key="failing"))
    run_deliveries()
    gave_up = Delivery.objects.get(message_id=doomed, handler="tests.doomed_fails")
    gave_up.status = DeliveryStatus.DEAD  # as if its last delayed retry had failed too
    gave_up.save()
    return {"permanent": Delivery.objects.get(message_id=rejected), "gave_up": gave_up}


def action(name: str, *deliveries, **extra) -> dict:
    return {"action": name, "_selected_action": [d.pk for d in deliveries], **extra}


def test_the_list_shows_each_dead_letter_s_order_and_error(admin_client, dead):
    page = admin_client.get(LIST).content.decode()

    correlation = dead["permanent"].message.correlation_id
    assert correlation in page
    assert "refused can never be handled" in page


def test_the_list_is_filtered_by_message_type_and_searched_by_words_of_the_error(admin_client, dead):
    by_type = admin_client.get(LIST, {"type": "tests.Rejected"}).context["cl"].result_list
    by_error = admin_client.get(LIST, {"q": "always fails"}).context["cl"].result_list

    assert [d.pk for d in by_type] == [dead["permanent"].pk]
    assert [d.pk for d in by_error] == [dead["gave_up"].pk]
    page = admin_client.get(LIST, {"q": "fails"}).content.decode()
    assert "too short to find an id" not in page  # a word of an error, not an id


def test_retrying_a_permanent_error_asks_first_and_changes_nothing_until_confirmed(admin_client, dead):
    response = admin_client.post(LIST, action("retry_dead_letters", dead["permanent"], dead["gave_up"]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "1 of these 2 dead letters failed with a permanent error" in page
    assert "they fail the same way unless the cause was fixed" in page
    assert DeadLetter.objects.count() == 2
    assert not JournalEntry.objects.filter(step=Step.RETRIED).exists()

    admin_client.post(LIST, action("retry_dead_letters", dead["permanent"], dead["gave_up"], confirm="yes"))
    assert not DeadLetter.objects.exists()


def test_retrying_only_transient_dead_letters_does_not_ask(admin_client, dead):
    response = admin_client.post(LIST, action("retry_dead_letters", dead["gave_up"]))

    assert response.status_code == 302
    assert Delivery.objects.get(pk=dead["gave_up"].pk).status == DeliveryStatus.PENDING


def test_replaying_a_delivery_that_succeeded_asks_first_and_says_its_side_effects_happen_again(
    admin_client, db, run_deliveries
):
    message_id = messaging.publish(Chain(key="once"))
    run_deliveries()
    done = Delivery.objects.get(message_id=message_id)

    response = admin_client.post(DELIVERIES, action("replay_deliveries", done))

    assert response.status_code == 200
    assert "an e-mail" in response.content.decode() and "happens again" in response.content.decode()
    assert Delivery.objects.get(pk=done.pk).status == DeliveryStatus.SUCCEEDED

    admin_client.post(DELIVERIES, action("replay_deliveries", done, confirm="yes"))
    run_deliveries()
    assert Message.objects.filter(causation_id=str(message_id), type="tests.Ping").count() == 2


def test_archiving_asks_then_takes_them_out_of_the_outbox_and_journals_who(admin_client, admin_user, dead):
    asked = admin_client.post(LIST, action("archive_dead_letters", dead["permanent"]))
    assert asked.status_code == 200
    assert "leave the outbox for good" in asked.content.decode()
    assert DeadLetter.objects.count() == 2

    admin_client.post(LIST, action("archive_dead_letters", dead["permanent"], confirm="yes"))

    assert list(DeadLetter.objects.values_list("pk", flat=True)) == [dead["gave_up"].pk]
    (entry,) = JournalEntry.objects.filter(step=Step.ARCHIVED)
    assert (entry.message_id, entry.handler, entry.actor) == (
        dead["permanent"].message_id,
        "tests.rejected",
        f"admin:{admin_user.username}",
    )
    assert "refused can never be handled" in entry.detail


def test_select_all_across_pages_is_kept_through_the_confirmation(admin_client, dead):
    asked = admin_client.post(LIST, action("archive_dead_letters", dead["permanent"], select_across="1"))
    assert 'name="select_across" value="1"' in asked.content.decode()

    admin_client.post(LIST, action("archive_dead_letters", dead["permanent"], select_across="1", confirm="yes"))

    assert not DeadLetter.objects.exists()
