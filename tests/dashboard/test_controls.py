"""The controls: dead letters, subscriptions, the style switch, the fault lab. Each a POST that changes state and
journals the operator as ``user:<username>``; bad input is refused with a clear error and changes nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

import messaging
from messaging.models import DeadLetter, Delivery, DeliveryStatus, FaultSetting, HandlerState, JournalEntry, Step
from orders.services.settings import store_settings
from tests.testapp.contracts import Rejected

DEAD_LETTERS = reverse("dashboard:dead_letters")
RETRY_DEAD = reverse("dashboard:dead_letters_retry")
CONTROLS = reverse("dashboard:controls")
STYLE = reverse("dashboard:style_switch")
SUBSCRIPTIONS = reverse("dashboard:subscription_switch")
FAULTS = reverse("dashboard:fault_set")
HEALTHY = {"context": "vendors", "latency_ms": "0", "failure_rate": "0"}


@pytest.fixture
def actor(admin_user):
    return f"user:{admin_user.username}"


def control_steps():
    return JournalEntry.objects.filter(step=Step.CONTROL)


class TestDeadLetters:
    def test_the_page_lists_them_with_a_count_per_type(self, admin_client, dead):
        response = admin_client.get(DEAD_LETTERS)
        assert response.status_code == 200
        html = response.content.decode()
        assert "3 dead letters" in html
        counts = {group["message__type"]: group["count"] for group in response.context["by_type"]}
        assert counts == {"tests.Rejected": 2, "tests.Doomed": 1}
        assert 'aria-label="Retry all tests.Rejected"' in html
        for delivery in dead.values():
            assert f'name="ids" value="{delivery.pk}"' in html

    def test_retry_one(self, admin_client, dead, actor):
        response = admin_client.post(RETRY_DEAD, {"one": dead["one"].pk, "confirm": "yes"}, follow=True)
        assert "Retried 1 dead letter chosen." in response.content.decode()
        assert set(DeadLetter.objects.values_list("pk", flat=True)) == {dead["two"].pk, dead["doomed"].pk}
        (entry,) = JournalEntry.objects.filter(step=Step.RETRIED)
        assert (entry.message_id, entry.actor) == (dead["one"].message_id, actor)

    def test_retry_the_selected_ones(self, admin_client, dead, actor):
        chosen = [dead["one"].pk, dead["doomed"].pk]
        response = admin_client.post(RETRY_DEAD, {"ids": chosen, "confirm": "yes"}, follow=True)
        assert "Retried 2 dead letters selected." in response.content.decode()
        assert Delivery.objects.get(pk=dead["one"].pk).status == DeliveryStatus.PENDING
        assert list(DeadLetter.objects.values_list("pk", flat=True)) == [dead["two"].pk]
        assert set(JournalEntry.objects.filter(step=Step.RETRIED).values_list("actor", flat=True)) == {actor}

    def test_retry_all_of_a_type(self, admin_client, dead, actor):
        response = admin_client.post(RETRY_DEAD, {"type": "tests.Rejected", "confirm": "yes"}, follow=True)
        assert "Retried 2 dead letters of type tests.Rejected." in response.content.decode()
        assert list(DeadLetter.objects.values_list("pk", flat=True)) == [dead["doomed"].pk]
        assert JournalEntry.objects.filter(step=Step.RETRIED, actor=actor).count() == 2

    def test_nothing_selected_is_an_error_and_retries_nothing(self, admin_client, dead):
        response = admin_client.post(RETRY_DEAD, {"ids": ["x", ""]}, follow=True)
        assert "Select at least one dead letter to retry." in response.content.decode()
        assert DeadLetter.objects.count() == 3
        assert not JournalEntry.objects.filter(step=Step.RETRIED).exists()

    def test_a_type_without_dead_letters_is_said_so(self, admin_client, dead):
        response = admin_client.post(RETRY_DEAD, {"type": "orders.OrderPaid"}, follow=True)
        assert "No dead letter of type orders.OrderPaid was left to retry." in response.content.decode()
        assert DeadLetter.objects.count() == 3

    def test_goes_back_to_a_page_of_ours_only(self, admin_client, dead):
        ledger = reverse("dashboard:ledger", kwargs={"message_id": dead["two"].message_id})
        assert (
            admin_client.post(RETRY_DEAD, {"one": dead["one"].pk, "next": ledger, "confirm": "yes"})["Location"]
            == ledger
        )
        elsewhere = admin_client.post(
            RETRY_DEAD, {"one": dead["two"].pk, "next": "https://evil.example/", "confirm": "yes"}
        )
        assert elsewhere["Location"] == DEAD_LETTERS

    def test_an_empty_page_says_nothing_is_waiting(self, admin_client, db):
        assert "Nothing is waiting for an operator." in admin_client.get(DEAD_LETTERS).content.decode()


class TestSubscriptions:
    def test_pause_then_resume_a_handler(self, admin_client, db, actor):
        admin_client.post(SUBSCRIPTIONS, {"handler": "vendors.notify_vendor", "action": "pause"})
        assert HandlerState.objects.get(handler="vendors.notify_vendor").paused
        admin_client.post(SUBSCRIPTIONS, {"handler": "vendors.notify_vendor", "action": "resume"})
        assert not HandlerState.objects.get(handler="vendors.notify_vendor").paused
        steps = JournalEntry.objects.filter(handler="vendors.notify_vendor").order_by("seq")
        assert [(e.step, e.actor) for e in steps] == [(Step.PAUSED, actor), (Step.RESUMED, actor)]

    def test_the_page_shows_each_handler_paused_or_active_with_its_waiting_deliveries(self, admin_client, db):
        admin_client.post(SUBSCRIPTIONS, {"handler": "tests.ping_a", "action": "pause"})
        messaging.publish(Rejected(key="waiting"))
        rows = {row["name"]: row for row in admin_client.get(CONTROLS).context["subscriptions"]}
        assert rows["tests.ping_a"]["paused"] and not rows["tests.ping_b"]["paused"]
        assert rows["tests.rejected"]["waiting"] == 1
        assert rows["tests.work_outcome"]["message_type"] == "command outcomes"

    @pytest.mark.parametrize(
        ("data", "error"),
        [
            ({"handler": "no.such_handler", "action": "pause"}, "No handler no.such_handler."),
            ({"handler": "tests.ping_a", "action": "delete"}, "Select a valid choice."),
        ],
    )
    def test_bad_input_is_refused_and_changes_nothing(self, admin_client, db, data, error):
        response = admin_client.post(SUBSCRIPTIONS, data)
        assert response.status_code == 400
        assert error in response.content.decode()
        assert not HandlerState.objects.exists()
        assert not JournalEntry.objects.exists()


class TestStyleSwitch:
    def test_switches_orders_to_commands_and_back(self, admin_client, db, actor):
        assert store_settings().style == "event"
        response = admin_client.post(STYLE, {"style": "command"}, follow=True)
        assert "in command style" in response.content.decode()
        assert store_settings().style == "command"
        admin_client.post(STYLE, {"style": "event"})
        assert store_settings().style == "event"
        entries = control_steps().order_by("seq")
        assert [(e.detail, e.actor, e.context) for e in entries] == [
            ("style: event → command", actor, "orders"),
            ("style: command → event", actor, "orders"),
        ]

    def test_an_unknown_style_is_refused_and_changes_nothing(self, admin_client, db):
        response = admin_client.post(STYLE, {"style": "carrier-pigeon"})
        assert response.status_code == 400
        assert "Choose event or command: carrier-pigeon is not a style." in response.content.decode()
        assert store_settings().style == "event"
        assert not control_steps().exists()


class TestFaultLab:
    def test_breaks_a_context_and_restores_it(self, admin_client, db, actor):
        data = {"context": "vendors", "unavailable": "on", "latency_ms": "250", "failure_rate": "30"}
        response = admin_client.post(FAULTS, data, follow=True)
        assert "Fault lab: vendors: unavailable, +250 ms, 30% failures." in response.content.decode()
        fault = FaultSetting.objects.get(context="vendors")
        assert (fault.unavailable, fault.latency_ms, fault.failure_rate) == (True, 250, 30)

        admin_client.post(FAULTS, HEALTHY)
        fault.refresh_from_db()
        assert not fault.is_active
        assert [(e.detail, e.actor, e.context) for e in control_steps().order_by("seq")] == [
            ("fault lab: vendors unavailable, +250 ms, 30% failures", actor, "vendors"),
            ("fault lab: vendors healthy", actor, "vendors"),
        ]

    def test_the_page_shows_each_context_s_current_setting(self, admin_client, db):
        admin_client.post(FAULTS, {**HEALTHY, "latency_ms": "1200"})
        html = admin_client.get(CONTROLS).content.decode()
        assert 'name="latency_ms" value="1200"' in html
        assert 'data-context="orders"' in html and 'data-context="vendors"' in html

    @pytest.mark.parametrize(
        ("changes", "error"),
        [
            ({"latency_ms": "-1"}, "The latency cannot be negative."),
            ({"latency_ms": "30001"}, "The latency is at most 30000 ms (30 seconds)."),
            ({"latency_ms": "fast"}, "Enter the latency as a whole number of milliseconds."),
            ({"failure_rate": "101"}, "The failure rate is a percentage: 0 to 100."),
            ({"failure_rate": "-5"}, "The failure rate is a percentage: 0 to 100."),
            ({"failure_rate": ""}, "Enter the failure rate in percent (0 for none)."),
            ({"context": "payments"}, "Choose a context that has handlers: payments has none."),
        ],
    )
    def test_bad_input_is_refused_with_a_clear_error_and_changes_nothing(self, admin_client, db, changes, error):
        response = admin_client.post(FAULTS, {**HEALTHY, "unavailable": "on", **changes})
        assert response.status_code == 400
        assert error in response.content.decode()
        assert not FaultSetting.objects.exists()
        assert not control_steps().exists()

    def test_a_refused_value_is_shown_again_in_its_context_s_row(self, admin_client, db):
        html = admin_client.post(FAULTS, {**HEALTHY, "latency_ms": "-1"}).content.decode()
        assert 'name="latency_ms" value="-1"' in html
        assert 'class="fault-row trouble"' in html


CONTROL_POSTS = [
    (STYLE, {"style": "command"}),
    (SUBSCRIPTIONS, {"handler": "tests.ping_a", "action": "pause"}),
    (FAULTS, {**HEALTHY, "unavailable": "on"}),
    (RETRY_DEAD, {"type": "tests.Rejected"}),
]


class TestEveryControl:
    @pytest.mark.parametrize(("url", "data"), CONTROL_POSTS, ids=["style", "subscription", "fault", "dead-letters"])
    def test_without_a_csrf_token_is_forbidden_and_changes_nothing(self, admin_user, db, url, data):
        client = Client(enforce_csrf_checks=True)
        client.force_login(admin_user)
        assert client.post(url, data).status_code == 403
        assert not JournalEntry.objects.exists()
        assert not HandlerState.objects.exists() and not FaultSetting.objects.exists()

    @pytest.mark.parametrize(("url", "data"), CONTROL_POSTS, ids=["style", "subscription", "fault", "dead-letters"])
    def test_is_for_staff_only(self, client, db, url, data):
        assert client.post(url, data)["Location"].startswith(reverse("admin:login"))
        client.force_login(get_user_model().objects.create_user("shopper", password="x"))
        assert client.post(url, data)["Location"].startswith(reverse("admin:login"))
        assert not JournalEntry.objects.exists()
        assert store_settings().style == "event"

    @pytest.mark.parametrize("url", [STYLE, SUBSCRIPTIONS, FAULTS, RETRY_DEAD])
    def test_a_get_is_not_allowed(self, admin_client, url):
        assert admin_client.get(url).status_code == 405

    def test_the_controls_page_renders_for_staff(self, admin_client, db):
        response = admin_client.get(CONTROLS)
        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="current-style">event<' in html
        assert "Fault lab" in html and "Subscriptions" in html
