import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import messaging
from messaging.admin.paginator import BoundedCountPaginator
from messaging.models import (
    CircuitBreaker,
    DeadLetter,
    Delivery,
    DeliveryStatus,
    HandlerState,
    JournalEntry,
    Message,
    Step,
)
from messaging.operations import actions as operations
from tests.testapp.contracts import Doomed, Ping, Rejected

LARGE_TABLES = [Message, Delivery, DeadLetter, JournalEntry]
ALL_MODELS = [*LARGE_TABLES, CircuitBreaker, HandlerState]


def changelist(model) -> str:
    return reverse(f"admin:messaging_{model._meta.model_name}_changelist")


def change(model, pk) -> str:
    return reverse(f"admin:messaging_{model._meta.model_name}_change", args=[pk])


@pytest.fixture
def outbox(db, run_deliveries):
    """A delivered Ping, a dead-lettered Rejected, a failing Doomed, a paused handler."""
    ping = messaging.publish(Ping(key="delivered"))
    rejected = messaging.publish(Rejected(key="refused"))
    doomed = messaging.publish(Doomed(key="failing"))
    run_deliveries()
    operations.handler_pause("tests.ping_a", actor="setup")
    return {
        "ping": Message.objects.get(pk=ping),
        "rejected": Message.objects.get(pk=rejected),
        "doomed": Message.objects.get(pk=doomed),
    }


def listed_ids(response) -> set[str]:
    return {str(obj.pk) for obj in response.context["cl"].result_list}


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_every_changelist_and_change_page_renders_with_data(admin_client, outbox, model):
    response = admin_client.get(changelist(model))
    assert response.status_code == 200
    assert response.context["cl"].result_list, "the fixture should put rows in every table"

    first = response.context["cl"].result_list[0]
    assert admin_client.get(change(model, first.pk)).status_code == 200


def test_message_page_shows_payload_as_pretty_json_and_its_deliveries(admin_client, outbox):
    response = admin_client.get(change(Message, outbox["ping"].pk))

    html = response.content.decode()
    assert re.search(r"<pre>\{\s*\n\s+&quot;key&quot;: &quot;delivered&quot;\s*\n\}</pre>", html)
    assert "tests.ping_a" in html and "tests.ping_b" in html


def test_dead_letter_page_shows_error_and_traceback(admin_client, outbox):
    dead = DeadLetter.objects.get(message=outbox["rejected"])

    html = admin_client.get(change(DeadLetter, dead.pk)).content.decode()

    assert "refused can never be handled" in html
    assert "<pre>Traceback" in html


def test_search_by_correlation_id_finds_only_that_message(admin_client, outbox):
    target = outbox["rejected"]

    response = admin_client.get(changelist(Message), {"q": target.correlation_id})

    assert listed_ids(response) == {str(target.pk)}


@pytest.mark.parametrize(
    "term",
    [
        lambda m: str(m.pk),
        lambda m: str(m.pk)[:8],  # the short id the list shows
        lambda m: m.pk.hex.upper(),
    ],
    ids=["uuid", "short id", "hex"],
)
def test_search_by_message_id_finds_the_message_its_deliveries_and_journal(admin_client, outbox, term):
    target = outbox["ping"]

    messages = admin_client.get(changelist(Message), {"q": term(target)})
    deliveries = admin_client.get(changelist(Delivery), {"q": term(target)})
    journal = admin_client.get(changelist(JournalEntry), {"q": term(target)})

    assert listed_ids(messages) == {str(target.pk)}
    assert listed_ids(deliveries) == {str(d.pk) for d in target.deliveries.all()}
    assert {e.message_id for e in journal.context["cl"].result_list} == {target.pk}


def test_search_for_an_unknown_id_finds_nothing(admin_client, outbox):
    response = admin_client.get(changelist(JournalEntry), {"q": "no-such-correlation"})

    assert listed_ids(response) == set()


def test_filters_narrow_the_lists(admin_client, outbox):
    by_type = admin_client.get(changelist(Message), {"type": "tests.Doomed"})
    by_kind = admin_client.get(changelist(Message), {"kind__exact": "command"})
    dead = admin_client.get(changelist(Delivery), {"status__exact": "dead"})
    by_handler = admin_client.get(changelist(Delivery), {"handler": "tests.doomed_sibling"})
    dead_lettered = admin_client.get(changelist(JournalEntry), {"step__exact": Step.DEAD_LETTERED})
    paused = admin_client.get(changelist(JournalEntry), {"context": "tests", "step__exact": Step.PAUSED})

    assert listed_ids(by_type) == {str(outbox["doomed"].pk)}
    assert listed_ids(by_kind) == set()
    assert {d.message_id for d in dead.context["cl"].result_list} == {outbox["rejected"].pk}
    assert [d.handler for d in by_handler.context["cl"].result_list] == ["tests.doomed_sibling"]
    assert [e.message_id for e in dead_lettered.context["cl"].result_list] == [outbox["rejected"].pk]
    assert [e.handler for e in paused.context["cl"].result_list] == ["tests.ping_a"]


def test_filter_choices_come_from_the_registry(admin_client, outbox):
    response = admin_client.get(changelist(Message))

    html = response.content.decode()
    assert "?type=tests.Positive" in html  # registered, never published


def test_retry_action_revives_a_dead_letter_and_journals_the_operator(admin_client, outbox, admin_user):
    dead = DeadLetter.objects.get(message=outbox["rejected"])

    response = admin_client.post(
        changelist(DeadLetter),
        {"action": "retry_dead_letters", "_selected_action": [dead.pk], "confirm": "yes"},  # a permanent error
        follow=True,
    )

    dead.refresh_from_db()
    assert dead.status == DeliveryStatus.PENDING and dead.attempts == 0
    retried = JournalEntry.objects.get(step=Step.RETRIED)
    assert retried.actor == f"admin:{admin_user.username}"
    assert retried.message_id == outbox["rejected"].pk
    assert "Retried 1 dead letter." in [str(m) for m in response.context["messages"]]
    assert not DeadLetter.objects.exists()


def test_retry_action_on_deliveries_leaves_live_ones_alone(admin_client, outbox):
    live = Delivery.objects.filter(message=outbox["ping"]).order_by("pk").first()

    response = admin_client.post(
        changelist(Delivery), {"action": "retry_dead_letters", "_selected_action": [live.pk]}, follow=True
    )

    live.refresh_from_db()
    assert live.status == DeliveryStatus.SUCCEEDED
    assert "None of the selected deliveries was a dead letter." in [str(m) for m in response.context["messages"]]


def staff_with(*codenames: str):
    user = get_user_model().objects.create_user("clerk", password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="messaging", codename__in=codenames))
    return user


@pytest.mark.parametrize("model", [DeadLetter, Delivery], ids=lambda m: m.__name__)
def test_retry_action_is_refused_without_the_retry_delivery_permission(client, outbox, model):
    dead = DeadLetter.objects.get(message=outbox["rejected"])
    # every other permission on the list a retry starts from, the change permission included
    name = model._meta.model_name
    client.force_login(staff_with(f"view_{name}", f"change_{name}", "change_delivery", "replay_delivery"))

    listing = client.get(changelist(model))
    response = client.post(changelist(model), {"action": "retry_dead_letters", "_selected_action": [dead.pk]})

    assert listing.status_code == 200
    assert "retry_dead_letters" not in listing.content.decode()
    assert response.status_code in (200, 302)
    dead.refresh_from_db()
    assert dead.status == DeliveryStatus.DEAD
    assert not JournalEntry.objects.filter(step=Step.RETRIED).exists()


def test_retry_action_works_with_the_retry_delivery_permission_alone_beside_viewing(client, outbox):
    dead = DeadLetter.objects.get(message=outbox["rejected"])
    client.force_login(staff_with("view_deadletter", "retry_delivery"))

    client.post(
        changelist(DeadLetter), {"action": "retry_dead_letters", "_selected_action": [dead.pk], "confirm": "yes"}
    )

    dead.refresh_from_db()
    assert dead.status == DeliveryStatus.PENDING
    assert JournalEntry.objects.get(step=Step.RETRIED).actor == "admin:clerk"


@pytest.mark.parametrize("model", [*LARGE_TABLES, CircuitBreaker], ids=lambda m: m.__name__)
def test_history_cannot_be_added_changed_or_deleted(admin_client, outbox, model):
    obj = model.objects.first()
    name = model._meta.model_name

    assert admin_client.get(reverse(f"admin:messaging_{name}_add")).status_code == 403
    assert admin_client.post(change(model, obj.pk), {}).status_code == 403
    assert (
        admin_client.post(reverse(f"admin:messaging_{name}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
    )
    assert model.objects.filter(pk=obj.pk).exists()


def test_message_change_page_offers_no_save_or_delete(admin_client, outbox):
    html = admin_client.get(change(Message, outbox["ping"].pk)).content.decode()

    assert 'name="_save"' not in html
    assert "deletelink" not in html


def test_subscription_actions_pause_and_resume_through_the_journal(admin_client, outbox, admin_user):
    subscription = HandlerState.objects.get(handler="tests.ping_a")

    admin_client.post(changelist(HandlerState), {"action": "resume", "_selected_action": [subscription.pk]})

    subscription.refresh_from_db()
    assert subscription.paused is False
    resumed = JournalEntry.objects.get(step=Step.RESUMED)
    assert (resumed.handler, resumed.actor) == ("tests.ping_a", f"admin:{admin_user.username}")

    admin_client.post(changelist(HandlerState), {"action": "pause", "_selected_action": [subscription.pk]})

    subscription.refresh_from_db()
    assert subscription.paused is True
    assert JournalEntry.objects.filter(step=Step.PAUSED, actor=f"admin:{admin_user.username}").count() == 1


def test_pausing_a_handler_from_the_add_form_is_journaled(admin_client, outbox, admin_user):
    response = admin_client.post(
        reverse("admin:messaging_handlerstate_add"), {"handler": "tests.positive", "paused": "on"}
    )

    assert response.status_code == 302
    assert HandlerState.objects.get(handler="tests.positive").paused is True
    entry = JournalEntry.objects.filter(step=Step.PAUSED, handler="tests.positive").get()
    assert entry.actor == f"admin:{admin_user.username}"


def test_add_form_offers_only_registered_handlers(admin_client, outbox):
    response = admin_client.post(reverse("admin:messaging_handlerstate_add"), {"handler": "tests.nobody"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["handler"]
    assert not HandlerState.objects.filter(handler="tests.nobody").exists()


CHANGELISTS = [
    (Message, {}),
    (Message, {"q": "some-correlation"}),
    (Message, {"type": "tests.Ping", "kind__exact": "event", "context": "tests"}),
    (Delivery, {}),
    (Delivery, {"q": "some-correlation"}),
    (Delivery, {"status__exact": "dead", "handler": "tests.rejected"}),
    (DeadLetter, {}),
    (DeadLetter, {"context": "tests"}),
    (JournalEntry, {}),
    (JournalEntry, {"q": "some-correlation"}),
    (JournalEntry, {"step__exact": "failed", "kind__exact": "event"}),
]


@pytest.mark.parametrize(("model", "query"), CHANGELISTS, ids=lambda v: getattr(v, "__name__", None) or str(v))
def test_changelist_counts_over_a_limited_subquery_only(
    admin_client, outbox, model, query, django_assert_max_num_queries
):
    with CaptureQueriesContext(connection) as captured, django_assert_max_num_queries(12):
        response = admin_client.get(changelist(model), query)

    assert response.status_code == 200
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1, "one bounded count, for the paginator"
    assert re.search(r"^SELECT COUNT\(\*\) FROM \(SELECT .* LIMIT 10001\) subquery$", counts[0], re.DOTALL), counts[0]


def test_a_count_past_the_cap_reads_as_a_lower_bound(admin_client, outbox, monkeypatch):
    monkeypatch.setattr(BoundedCountPaginator, "cap", 3)
    total = JournalEntry.objects.count()
    assert total > 3

    response = admin_client.get(changelist(JournalEntry))

    assert response.context["cl"].result_count == 3
    html = response.content.decode()
    assert "3+ journal entries" in html
    assert "3+ results" in html


def test_selecting_all_dead_letters_past_the_cap_says_so(admin_client, outbox, run_deliveries, monkeypatch):
    for hours in range(1, 8):  # the doomed subscriber uses up its attempts: two dead letters
        run_deliveries(now=timezone.now() + timedelta(hours=hours))
    monkeypatch.setattr(BoundedCountPaginator, "cap", 1)

    html = admin_client.get(changelist(DeadLetter)).content.decode()

    assert "Select all 1+ dead letters" in html


def test_a_count_under_the_cap_is_exact(admin_client, outbox):
    response = admin_client.get(changelist(DeadLetter))

    assert response.context["cl"].result_count == 1
    assert "1 dead letter" in response.content.decode()


def test_dead_letters_list_only_dead_deliveries(admin_client, outbox, run_deliveries):
    # given the doomed subscriber has used up its attempts as well
    for hours in range(1, 8):
        run_deliveries(now=timezone.now() + timedelta(hours=hours))

    response = admin_client.get(changelist(DeadLetter))

    handlers = {d.handler for d in response.context["cl"].result_list}
    assert handlers == {"tests.rejected", "tests.doomed_fails"}
