"""Every control has one service and three doors, the admin, the dashboard and the command line, and each door
leaves the same journal entry: the same step, context, handler and detail, with an actor that names the door
and the person (``admin:<username>``, ``user:<username>``, ``cli:<login>``)."""

import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

import messaging
from messaging import controls
from messaging.models import DeadLetter, Delivery, DeliveryStatus, FaultSetting, HandlerState, JournalEntry, Step
from orders.services.settings import store_settings
from tests.testapp.contracts import Ping, Rejected

pytestmark = pytest.mark.django_db

DOORS = ["admin", "dashboard", "cli"]


def admin_url(model: str, view: str = "changelist", app: str = "messaging") -> str:
    return reverse(f"admin:{app}_{model}_{view}")


def actor_of(door: str, admin_user) -> str:
    return {"admin": f"admin:{admin_user.username}", "dashboard": f"user:{admin_user.username}"}.get(
        door, controls.cli_actor()
    )


def the_entry(step: str) -> tuple:
    (entry,) = JournalEntry.objects.filter(step=step)
    return entry.step, entry.context, entry.handler, entry.actor, entry.detail


@pytest.fixture
def dead_letter(run_deliveries) -> Delivery:
    messaging.publish(Rejected(key="refused"))
    run_deliveries()
    return DeadLetter.objects.select_related("message").get()


@pytest.fixture
def delivered(run_deliveries) -> Delivery:
    messaging.publish(Ping(key="done"))
    run_deliveries()
    return Delivery.objects.get(handler="tests.ping_a", status=DeliveryStatus.SUCCEEDED)


@pytest.mark.parametrize("door", DOORS)
def test_switching_the_style_is_journaled_alike_at_every_door(admin_client, admin_user, door):
    if door == "admin":
        url = admin_client.get(admin_url("storesettings", app="orders")).url  # the one row, edited in place
        admin_client.post(url, {"style": "command", "vendor_timeout_seconds": "300"})
    elif door == "dashboard":
        admin_client.post(reverse("dashboard:style_switch"), {"style": "command"})
    else:
        call_command("store_style", "command")

    assert store_settings().style == "command"
    assert the_entry(Step.CONTROL) == (Step.CONTROL, "orders", "", actor_of(door, admin_user), "style: event → command")


@pytest.mark.parametrize("door", DOORS)
def test_setting_a_fault_is_journaled_alike_at_every_door(admin_client, admin_user, door):
    form = {"context": "vendors", "unavailable": "on", "latency_ms": "250", "failure_rate": "30"}
    if door == "admin":
        admin_client.post(reverse("admin:messaging_faultsetting_change", args=["vendors"]), form)
    elif door == "dashboard":
        admin_client.post(reverse("dashboard:fault_set"), form)
    else:
        call_command("fault_lab", "vendors", "--unavailable", "--latency-ms", "250", "--failure-rate", "30")

    detail = "fault lab: vendors unavailable, +250 ms, 30% failures"
    assert the_entry(Step.CONTROL) == (Step.CONTROL, "vendors", "", actor_of(door, admin_user), detail)


@pytest.mark.parametrize("door", DOORS)
def test_restoring_a_context_is_journaled_alike_at_every_door(admin_client, admin_user, door):
    controls.fault_set(context="vendors", unavailable=True, latency_ms=0, failure_rate=0, actor="setup")
    if door == "admin":
        admin_client.post(admin_url("faultsetting"), {"action": "restore", "_selected_action": ["vendors"]})
    elif door == "dashboard":
        admin_client.post(
            reverse("dashboard:fault_set"), {"context": "vendors", "latency_ms": "0", "failure_rate": "0"}
        )
    else:
        call_command("fault_lab", "vendors", "--clear")

    entry = JournalEntry.objects.filter(step=Step.CONTROL).exclude(actor="setup").get()
    assert (entry.context, entry.actor, entry.detail) == (
        "vendors",
        actor_of(door, admin_user),
        "fault lab: vendors healthy",
    )


@pytest.mark.parametrize("door", DOORS)
def test_pausing_a_handler_is_journaled_alike_at_every_door(admin_client, admin_user, door):
    if door == "admin":
        admin_client.post(admin_url("handlerstate", "add"), {"handler": "tests.ping_a", "paused": "on"})
    elif door == "dashboard":
        admin_client.post(reverse("dashboard:subscription_switch"), {"handler": "tests.ping_a", "action": "pause"})
    else:
        call_command("handler_pause", "tests.ping_a")

    assert the_entry(Step.PAUSED) == (Step.PAUSED, "tests", "tests.ping_a", actor_of(door, admin_user), "")


@pytest.mark.parametrize("door", DOORS)
def test_resuming_a_handler_is_journaled_alike_at_every_door(admin_client, admin_user, door):
    controls.handler_pause(handler="tests.ping_a", actor="setup")
    if door == "admin":
        admin_client.post(admin_url("handlerstate"), {"action": "resume", "_selected_action": ["tests.ping_a"]})
    elif door == "dashboard":
        admin_client.post(reverse("dashboard:subscription_switch"), {"handler": "tests.ping_a", "action": "resume"})
    else:
        call_command("handler_resume", "tests.ping_a")

    assert the_entry(Step.RESUMED) == (Step.RESUMED, "tests", "tests.ping_a", actor_of(door, admin_user), "")


@pytest.mark.parametrize("door", DOORS)
def test_retrying_a_dead_letter_is_journaled_alike_at_every_door(admin_client, admin_user, dead_letter, door):
    if door == "admin":
        admin_client.post(
            admin_url("deadletter"),
            {"action": "retry_dead_letters", "_selected_action": [dead_letter.pk], "confirm": "yes"},
        )
    elif door == "dashboard":
        admin_client.post(reverse("dashboard:dead_letters_retry"), {"one": dead_letter.pk, "confirm": "yes"})
    else:
        call_command("dead_letters", "--retry", str(dead_letter.pk))

    assert Delivery.objects.get(pk=dead_letter.pk).status == DeliveryStatus.PENDING
    expected = (Step.RETRIED, "tests", "tests.rejected", actor_of(door, admin_user), f"after: {dead_letter.last_error}")
    assert the_entry(Step.RETRIED) == expected
    (entry,) = JournalEntry.objects.filter(step=Step.RETRIED)
    assert entry.message_id == dead_letter.message_id


@pytest.mark.parametrize("door", DOORS)
def test_replaying_a_delivery_is_journaled_alike_at_every_door(admin_client, admin_user, delivered, door):
    if door == "admin":
        admin_client.post(
            admin_url("delivery"), {"action": "replay_deliveries", "_selected_action": [delivered.pk], "confirm": "yes"}
        )
    elif door == "dashboard":
        admin_client.post(
            reverse("dashboard:delivery_replay", kwargs={"delivery_id": delivered.pk}), {"confirm": "yes"}
        )
    else:
        message = str(delivered.message_id)
        call_command("replay_messages", "--id", message, "--handler", "tests.ping_a", "--force", "--yes")

    assert Delivery.objects.get(pk=delivered.pk).status == DeliveryStatus.PENDING
    detail = (
        f"replay_messages --id {delivered.message_id} --handler tests.ping_a --force; "
        "was succeeded; forced: it had already succeeded"
    )
    assert the_entry(Step.REPLAYED) == (Step.REPLAYED, "tests", "tests.ping_a", actor_of(door, admin_user), detail)


# --- The new commands refuse bad input with the form's words and change nothing -------------------------------


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["vendors", "--latency-ms", "-1"], "latency_ms: The latency cannot be negative."),
        (["vendors", "--latency-ms", "30001"], "latency_ms: The latency is at most 30000 ms (30 seconds)."),
        (["vendors", "--failure-rate", "0.3"], "failure_rate: Enter the failure rate as a whole number from 0 to 100."),
        (["vendors", "--failure-rate", "101"], "failure_rate: The failure rate is a percentage: 0 to 100."),
        (["payments", "--unavailable"], "context: Choose a context that has handlers: payments has none."),
        (["vendors", "--clear", "--unavailable"], "--clear restores the context"),
        (["--unavailable"], "Say which context"),
    ],
)
def test_fault_lab_refuses_bad_input_and_changes_nothing(args, error):
    with pytest.raises(CommandError, match=re.escape(error)):
        call_command("fault_lab", *args)

    assert not FaultSetting.objects.exists()
    assert not JournalEntry.objects.exists()


def test_fault_lab_keeps_what_is_not_given_and_shows_a_setting(capsys):
    call_command("fault_lab", "vendors", "--latency-ms", "500")
    call_command("fault_lab", "vendors", "--failure-rate", "20")
    call_command("fault_lab", "vendors")

    fault = FaultSetting.objects.get()
    assert (fault.unavailable, fault.latency_ms, fault.failure_rate) == (False, 500, 20)
    assert capsys.readouterr().out.splitlines()[-1] == "vendors: +500 ms, 20% failures"


@pytest.mark.parametrize("command", ["handler_pause", "handler_resume"])
def test_an_unknown_handler_is_refused_and_nothing_changes(command):
    with pytest.raises(CommandError, match=re.escape("handler: No handler tests.nobody.")):
        call_command(command, "tests.ping_a", "tests.nobody")

    assert not HandlerState.objects.exists()
    assert not JournalEntry.objects.exists()


def test_store_style_refuses_an_unknown_style_and_shows_the_current_one(capsys):
    with pytest.raises(CommandError, match=re.escape("style: Choose event or command: pigeon is not a style.")):
        call_command("store_style", "pigeon")
    call_command("store_style")

    assert store_settings().style == "event"
    assert not JournalEntry.objects.exists()
    assert "in event style" in capsys.readouterr().out


def test_store_style_journals_nothing_when_the_style_does_not_change():
    call_command("store_style", "event")

    assert not JournalEntry.objects.exists()


def test_dead_letters_retry_refuses_what_is_not_a_dead_letter_and_retries_nothing(dead_letter, delivered):
    with pytest.raises(CommandError, match=re.escape(f"--retry {delivered.pk}: delivery {delivered.pk} is not a dead")):
        call_command("dead_letters", "--retry", str(dead_letter.pk), "--retry", str(delivered.pk))
    with pytest.raises(CommandError, match=re.escape("--retry 'soon' is neither a delivery id")):
        call_command("dead_letters", "--retry", "soon")

    assert DeadLetter.objects.get() == dead_letter
    assert not JournalEntry.objects.filter(step=Step.RETRIED).exists()


def test_dead_letters_retry_takes_a_message_id_too(dead_letter, capsys):
    call_command("dead_letters", "--retry", str(dead_letter.message_id))

    assert not DeadLetter.objects.exists()
    assert "Retried 1 dead letter." in capsys.readouterr().out


def test_the_admin_refuses_an_unknown_style_in_the_form_s_words_and_changes_nothing(admin_client):
    url = reverse("admin:orders_storesettings_change", args=[1])
    response = admin_client.post(url, {"style": "pigeon", "vendor_timeout_seconds": "300"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["style"] == ["Choose event or command: pigeon is not a style."]
    assert store_settings().pk is None
    assert not JournalEntry.objects.exists()
