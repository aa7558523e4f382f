"""The dead letters page: each order and error, filters, pages, "all N matching", archiving, and asking before
a retry that will fail the same way."""

import pytest
from django.urls import reverse

from marketplace.dashboard import views_dead_letters
from messaging.models import DeadLetter, Delivery, DeliveryStatus, JournalEntry, Step

DEAD_LETTERS = reverse("dashboard:dead_letters")
RETRY = reverse("dashboard:dead_letters_retry")
ARCHIVE = reverse("dashboard:dead_letters_archive")


def listed(response) -> list[int]:
    return [delivery.pk for delivery in response.context["rows"]]


def all_matching(**filters) -> dict:
    return {"all_matching": "1", **{f"match-{name}": value for name, value in filters.items()}}


def test_each_row_shows_its_order_linked_to_its_flow_and_its_error(admin_client, dead):
    page = admin_client.get(DEAD_LETTERS).content.decode()

    correlation = dead["one"].message.correlation_id
    assert f'href="{reverse("dashboard:flow", kwargs={"correlation_id": correlation})}"' in page
    assert "one can never be handled" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"handler": "tests.doomed_fails"}, ["doomed"]),
        ({"context": "tests"}, ["doomed", "two", "one"]),
        ({"type": "tests.Rejected"}, ["two", "one"]),
        ({"error": "TWO CAN NEVER"}, ["two"]),
        ({"type": "tests.Rejected", "error": "always fails"}, []),
    ],
    ids=["handler", "context", "type", "error-words", "all-must-match"],
)
def test_the_list_is_filtered_by_handler_context_type_and_error(admin_client, dead, query, expected):
    response = admin_client.get(DEAD_LETTERS, query)

    assert listed(response) == [dead[key].pk for key in expected]
    assert response.context["total"] == len(expected)


def test_the_list_is_paginated_and_the_pages_keep_the_filter(admin_client, dead, monkeypatch):
    monkeypatch.setattr(views_dead_letters, "PER_PAGE", 1)

    first = admin_client.get(DEAD_LETTERS, {"type": "tests.Rejected"})
    second = admin_client.get(DEAD_LETTERS, {"type": "tests.Rejected", "page": "2"})

    assert (listed(first), listed(second)) == ([dead["two"].pk], [dead["one"].pk])
    assert (first.context["pages"], first.context["next_page"]) == (2, 2)
    assert "?type=tests.Rejected&amp;page=2" in first.content.decode()
    assert listed(admin_client.get(DEAD_LETTERS, {"page": "nonsense"})) == listed(admin_client.get(DEAD_LETTERS))


def test_retrying_all_matching_reaches_beyond_the_page(admin_client, dead, monkeypatch):
    monkeypatch.setattr(views_dead_letters, "PER_PAGE", 1)
    page = admin_client.get(DEAD_LETTERS, {"type": "tests.Rejected"}).content.decode()
    assert "Retry all 2" in page

    response = admin_client.post(RETRY, {**all_matching(type="tests.Rejected"), "confirm": "yes"}, follow=True)

    assert "Retried 2 dead letters matching type &#x27;tests.Rejected&#x27;." in response.content.decode()
    assert list(DeadLetter.objects.values_list("pk", flat=True)) == [dead["doomed"].pk]


def test_retrying_a_permanent_error_asks_first_and_says_it_fails_the_same_way(admin_client, dead):
    response = admin_client.post(RETRY, all_matching(context="tests"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Retry 3 dead letters matching context &#x27;tests&#x27;?" in page
    assert "2 of them were dead-lettered for a permanent error" in page
    assert 'name="match-context" value="tests"' in page  # the same choice, posted back confirmed
    assert DeadLetter.objects.count() == 3


def test_retrying_only_dead_letters_that_gave_up_does_not_ask(admin_client, dead):
    response = admin_client.post(RETRY, {"one": dead["doomed"].pk})

    assert response.status_code == 302
    assert Delivery.objects.get(pk=dead["doomed"].pk).status == DeliveryStatus.PENDING


def test_archiving_asks_then_archives_all_matching_each_journaled_with_the_user(admin_client, admin_user, dead):
    asked = admin_client.post(ARCHIVE, all_matching(error="never be handled"))
    assert asked.status_code == 200
    assert "leave the outbox for good" in asked.content.decode()
    assert DeadLetter.objects.count() == 3

    response = admin_client.post(ARCHIVE, {**all_matching(error="never be handled"), "confirm": "yes"}, follow=True)

    assert "Archived 2 dead letters" in response.content.decode()
    assert list(DeadLetter.objects.values_list("pk", flat=True)) == [dead["doomed"].pk]
    entries = JournalEntry.objects.filter(step=Step.ARCHIVED)
    assert sorted(e.handler for e in entries) == ["tests.rejected", "tests.rejected"]
    assert {e.actor for e in entries} == {f"user:{admin_user.username}"}


def test_archiving_the_selected_ones(admin_client, dead):
    admin_client.post(ARCHIVE, {"ids": [dead["one"].pk, dead["doomed"].pk], "confirm": "yes"})

    assert list(DeadLetter.objects.values_list("pk", flat=True)) == [dead["two"].pk]
