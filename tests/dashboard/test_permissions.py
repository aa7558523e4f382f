"""Each control needs its own permission (``marketplace.operators``). Staff without it may look at every page but
are refused the control with a 403 that names the permission, and nothing changes; operators (the group's
members) use it. A page shows a control its user may not use disabled, with the permission it needs."""

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

import messaging
from marketplace import operators
from messaging.models import Delivery, FaultSetting, HandlerState, JournalEntry
from orders.services.settings import store_settings
from tests.testapp.contracts import Chain, Rejected


@pytest.fixture
def deliveries(db, run_deliveries):
    """A dead letter (a Rejected) and a delivery that succeeded (a Chain)."""
    dead = messaging.publish(Rejected(key="refused"))
    done = messaging.publish(Chain(key="once"))
    run_deliveries()
    return {"dead": Delivery.objects.get(message_id=dead), "done": Delivery.objects.get(message_id=done)}


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user("watcher", password="x", is_staff=True)


@pytest.fixture
def operator(operators_group):
    user = get_user_model().objects.create_user("operator", password="x", is_staff=True)
    user.groups.add(operators_group)
    return user


def logged_in(client, user):
    client.force_login(user)
    return client


@dataclass(frozen=True)
class Case:
    control: operators.Control
    url: object  # deliveries -> the URL
    data: object  # deliveries -> the POST data
    state: object  # deliveries -> what the control changes, as it is now


def delivery_state(name):
    return lambda d: Delivery.objects.values_list("status", "attempts").get(pk=d[name].pk)


CASES = {
    "fault lab": Case(
        operators.FAULT_LAB,
        lambda d: reverse("dashboard:fault_set"),
        lambda d: {"context": "vendors", "unavailable": "on", "latency_ms": "0", "failure_rate": "0"},
        lambda d: list(FaultSetting.objects.values_list("context", "unavailable")),
    ),
    "pause": Case(
        operators.PAUSE,
        lambda d: reverse("dashboard:subscription_switch"),
        lambda d: {"handler": "tests.ping_a", "action": "pause"},
        lambda d: list(HandlerState.objects.values_list("handler", "paused")),
    ),
    "style": Case(
        operators.STYLE,
        lambda d: reverse("dashboard:style_switch"),
        lambda d: {"style": "command"},
        lambda d: store_settings().style,
    ),
    "retry from the ledger": Case(
        operators.RETRY,
        lambda d: reverse("dashboard:delivery_retry", kwargs={"delivery_id": d["dead"].pk}),
        lambda d: {"confirm": "yes"},  # its error was permanent: the page asks first
        delivery_state("dead"),
    ),
    "retry the selected": Case(
        operators.RETRY,
        lambda d: reverse("dashboard:dead_letters_retry"),
        lambda d: {"ids": [d["dead"].pk], "confirm": "yes"},
        delivery_state("dead"),
    ),
    "retry all of a type": Case(
        operators.RETRY,
        lambda d: reverse("dashboard:dead_letters_retry"),
        lambda d: {"type": "tests.Rejected", "confirm": "yes"},
        delivery_state("dead"),
    ),
    "replay": Case(
        operators.REPLAY,
        lambda d: reverse("dashboard:delivery_replay", kwargs={"delivery_id": d["done"].pk}),
        lambda d: {"confirm": "yes"},  # it succeeded: the page asks first
        delivery_state("done"),
    ),
}


def last_seq() -> int:
    return JournalEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_staff_without_the_permission_are_refused_with_403_and_nothing_changes(client, staff, deliveries, case):
    before, seq = case.state(deliveries), last_seq()

    response = logged_in(client, staff).post(case.url(deliveries), case.data(deliveries))

    assert response.status_code == 403
    assert case.control.permission in response.content.decode()
    assert case.state(deliveries) == before
    assert last_seq() == seq, "the journal has no new entry"


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_an_operator_uses_it_and_is_journaled(client, operator, deliveries, case):
    before, seq = case.state(deliveries), last_seq()

    response = logged_in(client, operator).post(case.url(deliveries), case.data(deliveries))

    assert response.status_code == 302
    assert case.state(deliveries) != before
    assert JournalEntry.objects.filter(seq__gt=seq, actor="user:operator").exists()


def test_the_refusal_says_which_permission_and_which_group_and_that_nothing_changed(client, staff):
    response = logged_in(client, staff).post(reverse("dashboard:style_switch"), {"style": "command"})

    html = response.content.decode()
    assert operators.STYLE.needed in html
    assert f"the {operators.GROUP} group" in html and "Nothing was changed." in html


def test_each_permission_opens_its_own_control_only(client, staff, deliveries):
    staff.user_permissions.add(Permission.objects.get(codename="change_storesettings"))
    client = logged_in(client, staff)

    assert client.post(reverse("dashboard:style_switch"), {"style": "command"}).status_code == 302
    assert client.post(reverse("dashboard:subscription_switch"), CASES["pause"].data(deliveries)).status_code == 403
    assert store_settings().style == "command"
    assert not HandlerState.objects.exists()


def test_a_refusal_comes_before_the_input_is_read(client, staff):
    response = logged_in(client, staff).post(reverse("dashboard:fault_set"), {"context": "nowhere"})

    assert response.status_code == 403


# --- What the pages show ---------------------------------------------------------------------------------------


def test_the_controls_page_shows_staff_each_control_disabled_with_the_permission_it_needs(client, staff):
    html = logged_in(client, staff).get(reverse("dashboard:controls")).content.decode()

    for name, control in [("style", operators.STYLE), ("fault-lab", operators.FAULT_LAB), ("pause", operators.PAUSE)]:
        assert f'<p class="needs-permission" id="needs-{name}">{control.needed}</p>' in html
        assert f'disabled aria-describedby="needs-{name}"' in html
    assert "Fault lab" in html and 'id="current-style">event<' in html  # the state is still there to see


def test_the_controls_page_shows_an_operator_every_control_enabled(client, operator):
    html = logged_in(client, operator).get(reverse("dashboard:controls")).content.decode()

    assert "needs-permission" not in html
    assert " disabled" not in html


def test_the_ledger_shows_retry_and_replay_disabled_to_staff_and_enabled_to_operators(
    client, staff, operator, deliveries
):
    url = reverse("dashboard:ledger", kwargs={"message_id": deliveries["dead"].message_id})
    html = logged_in(client, staff).get(url).content.decode()
    assert 'aria-label="Retry tests.rejected" disabled aria-describedby="needs-retry"' in html
    assert operators.RETRY.needed in html and operators.REPLAY.needed in html

    html = logged_in(client, operator).get(url).content.decode()
    assert 'aria-label="Retry tests.rejected">Retry<' in html
    assert "needs-permission" not in html


def test_the_dead_letters_page_shows_retrying_disabled_to_staff(client, staff, deliveries):
    html = logged_in(client, staff).get(reverse("dashboard:dead_letters")).content.decode()

    assert html.count('disabled aria-describedby="needs-retry"') == 3  # by type, the list's buttons, all matching
    assert operators.RETRY.needed in html
    assert 'aria-label="Retry all tests.Rejected"' in html  # still shown: what there is to retry
