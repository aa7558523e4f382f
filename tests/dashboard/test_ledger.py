"""The delivery ledger: one row per subscriber, and Retry / Replay for that one subscriber."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

import messaging
from messaging.models import Delivery, DeliveryStatus, JournalEntry, Message, Step
from messaging.runtime.registry import registry
from tests.testapp.contracts import Chain, Doomed, Ping, Rejected


def ledger_url(message_id) -> str:
    return reverse("dashboard:ledger", kwargs={"message_id": message_id})


def retry_url(delivery) -> str:
    return reverse("dashboard:delivery_retry", kwargs={"delivery_id": delivery.pk})


def replay_url(delivery) -> str:
    return reverse("dashboard:delivery_replay", kwargs={"delivery_id": delivery.pk})


def journal_of(delivery, step):
    return JournalEntry.objects.filter(message_id=delivery.message_id, handler=delivery.handler, step=step)


@pytest.fixture
def dead_letter(db, run_deliveries):
    message_id = messaging.publish(Rejected(key="refused"))
    run_deliveries()
    delivery = Delivery.objects.get(message_id=message_id)
    assert delivery.status == DeliveryStatus.DEAD
    return delivery


@pytest.fixture
def chain_delivered(db, run_deliveries):
    """A Chain whose handler ran once (it publishes a Ping each time it runs)."""
    message_id = messaging.publish(Chain(key="once"))
    run_deliveries()
    delivery = Delivery.objects.get(message_id=message_id)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    return delivery


class TestThePage:
    def test_shows_one_row_per_subscriber_with_its_status(self, admin_client, db, run_deliveries):
        message_id = messaging.publish(Doomed(key="half"))
        run_deliveries()
        response = admin_client.get(ledger_url(message_id))
        assert response.status_code == 200
        rows = {row["delivery"].handler: row for row in response.context["rows"]}
        assert set(rows) == {"tests.doomed_fails", "tests.doomed_sibling"}
        assert rows["tests.doomed_sibling"]["delivery"].status == DeliveryStatus.SUCCEEDED
        failing = rows["tests.doomed_fails"]
        assert failing["delivery"].status == DeliveryStatus.FAILED
        assert failing["next_attempt_at"] == failing["delivery"].available_at  # the retry's time
        html = response.content.decode()
        assert "this subscriber always fails" in html
        assert 'aria-label="Replay tests.doomed_sibling"' in html
        assert 'aria-label="Retry tests.doomed_fails"' not in html  # waiting for a retry, not dead

    def test_offers_retry_for_a_dead_letter_only(self, admin_client, dead_letter):
        html = admin_client.get(ledger_url(dead_letter.message_id)).content.decode()
        assert f'action="{retry_url(dead_letter)}"' in html
        assert f'action="{replay_url(dead_letter)}"' not in html
        assert "refused can never be handled" in html

    def test_shows_the_message_s_journal_payload_and_flow_link(self, admin_client, chain_delivered):
        message = chain_delivered.message
        html = admin_client.get(ledger_url(message.id)).content.decode()
        assert reverse("dashboard:flow", kwargs={"correlation_id": message.correlation_id}) in html
        assert "&quot;key&quot;: &quot;once&quot;" in html
        assert html.count("<td>Succeeded</td>") == 1  # the journal's succeeded step
        child = Message.objects.get(causation_id=str(message.id))
        assert ledger_url(child.id) in html  # what it caused

    def test_a_message_without_subscribers_says_so(self, admin_client, db, monkeypatch):
        monkeypatch.delitem(registry.subscribers, "tests.Ping")  # as if nobody subscribed to it
        message_id = messaging.publish(Ping(key="nobody"))
        assert "No handler subscribes" in admin_client.get(ledger_url(message_id)).content.decode()

    def test_an_unknown_message_is_not_found(self, admin_client, db):
        assert admin_client.get(ledger_url(uuid.uuid4())).status_code == 404

    def test_a_malformed_message_id_is_not_found(self, admin_client, db):
        assert admin_client.get("/dashboard/messages/not-a-uuid/").status_code == 404
        assert admin_client.get("/dashboard/messages/1234/").status_code == 404

    def test_is_for_staff_only(self, client, dead_letter):
        url = ledger_url(dead_letter.message_id)
        assert client.get(url)["Location"].startswith(reverse("admin:login"))
        client.force_login(get_user_model().objects.create_user("shopper", password="x"))
        assert client.get(url)["Location"].startswith(reverse("admin:login"))


class TestRetry:
    def test_gives_a_dead_letter_a_fresh_set_of_attempts_journaled_with_the_user(
        self, admin_client, admin_user, dead_letter, run_deliveries
    ):
        response = admin_client.post(retry_url(dead_letter), {"confirm": "yes"}, follow=True)
        assert response.redirect_chain[-1][0] == ledger_url(dead_letter.message_id)
        assert "Retrying tests.rejected" in response.content.decode()
        dead_letter.refresh_from_db()
        assert (dead_letter.status, dead_letter.attempts) == (DeliveryStatus.PENDING, 0)
        (entry,) = journal_of(dead_letter, Step.RETRIED)
        assert entry.actor == f"user:{admin_user.username}"

        run_deliveries()  # and it runs again (and, being refused for good, dies again)
        dead_letter.refresh_from_db()
        assert (dead_letter.status, dead_letter.attempts) == (DeliveryStatus.DEAD, 1)
        assert journal_of(dead_letter, Step.DEAD_LETTERED).count() == 2

    def test_a_dead_letter_of_a_permanent_error_is_retried_only_once_the_operator_confirms(
        self, admin_client, dead_letter
    ):
        response = admin_client.post(retry_url(dead_letter))

        assert response.status_code == 200
        page = response.content.decode()
        assert "permanent error" in page
        assert "it fails the same way unless its cause was fixed" in page
        assert "refused can never be handled" in page  # its error
        assert 'name="confirm" value="yes"' in page
        dead_letter.refresh_from_db()
        assert dead_letter.status == DeliveryStatus.DEAD
        assert not journal_of(dead_letter, Step.RETRIED).exists()

    def test_a_delivery_that_is_not_dead_is_left_alone_and_said_so(self, admin_client, chain_delivered):
        response = admin_client.post(retry_url(chain_delivered), follow=True)
        assert "is not a dead letter" in response.content.decode()
        chain_delivered.refresh_from_db()
        assert chain_delivered.status == DeliveryStatus.SUCCEEDED
        assert not journal_of(chain_delivered, Step.RETRIED).exists()


class TestReplay:
    def test_asks_before_running_a_succeeded_delivery_again_and_says_its_side_effects_repeat(
        self, admin_client, chain_delivered, run_deliveries
    ):
        response = admin_client.post(replay_url(chain_delivered))

        assert response.status_code == 200
        page = response.content.decode()
        assert "already succeeded" in page
        assert "an e-mail" in page and "happens again" in page
        assert 'name="confirm" value="yes"' in page
        chain_delivered.refresh_from_db()
        assert chain_delivered.status == DeliveryStatus.SUCCEEDED
        assert not journal_of(chain_delivered, Step.REPLAYED).exists()
        run_deliveries()
        assert Message.objects.filter(causation_id=str(chain_delivered.message_id), type="tests.Ping").count() == 1

    def test_the_ledger_no_longer_says_a_replay_does_not_repeat_the_effect(self, admin_client, chain_delivered):
        page = admin_client.get(ledger_url(chain_delivered.message_id)).content.decode()
        assert "its effect is not" not in page
        assert "happens again unless the handler checks" in page

    def test_runs_a_succeeded_delivery_s_handler_again(self, admin_client, admin_user, chain_delivered, run_deliveries):
        response = admin_client.post(replay_url(chain_delivered), {"confirm": "yes"})
        assert response["Location"] == ledger_url(chain_delivered.message_id)
        chain_delivered.refresh_from_db()
        assert (chain_delivered.status, chain_delivered.attempts) == (DeliveryStatus.PENDING, 0)
        (entry,) = journal_of(chain_delivered, Step.REPLAYED)
        assert entry.actor == f"user:{admin_user.username}"

        run_deliveries()
        chain_delivered.refresh_from_db()
        assert chain_delivered.status == DeliveryStatus.SUCCEEDED
        # the handler ran a second time: it published a second Ping
        assert Message.objects.filter(causation_id=str(chain_delivered.message_id), type="tests.Ping").count() == 2
        assert journal_of(chain_delivered, Step.SUCCEEDED).count() == 2

    def test_a_delivery_still_waiting_is_left_alone_and_said_so(self, admin_client, db):
        delivery = Delivery.objects.get(message_id=messaging.publish(Chain(key="waiting")))
        response = admin_client.post(replay_url(delivery), follow=True)
        assert "has not finished" in response.content.decode()
        assert not journal_of(delivery, Step.REPLAYED).exists()


class TestTheButtonsRefuse:
    @pytest.mark.parametrize("url", [retry_url, replay_url], ids=["retry", "replay"])
    def test_a_post_without_csrf_token_is_forbidden_and_changes_nothing(self, admin_user, dead_letter, url):
        client = Client(enforce_csrf_checks=True)
        client.force_login(admin_user)
        assert client.post(url(dead_letter)).status_code == 403
        dead_letter.refresh_from_db()
        assert dead_letter.status == DeliveryStatus.DEAD
        assert not JournalEntry.objects.filter(step__in=[Step.RETRIED, Step.REPLAYED]).exists()

    @pytest.mark.parametrize("url", [retry_url, replay_url], ids=["retry", "replay"])
    def test_a_get_is_not_allowed(self, admin_client, dead_letter, url):
        assert admin_client.get(url(dead_letter)).status_code == 405

    def test_an_unknown_delivery_is_not_found(self, admin_client, db):
        assert admin_client.post("/dashboard/deliveries/999999/retry/").status_code == 404
        assert admin_client.post("/dashboard/deliveries/999999/replay/").status_code == 404

    def test_someone_who_is_not_staff_cannot_retry(self, client, dead_letter):
        client.force_login(get_user_model().objects.create_user("shopper", password="x"))
        assert client.post(retry_url(dead_letter)).status_code == 302
        dead_letter.refresh_from_db()
        assert dead_letter.status == DeliveryStatus.DEAD
