"""The journal's admin search takes the 8 characters of an order id the pages show, and says when a term
is too short to be the start of an id."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

import messaging
from messaging.models import Delivery, JournalEntry, Message
from messaging.runtime.context import correlated
from tests.testapp.contracts import Ping

pytestmark = pytest.mark.django_db

ORDER = "5f0c3a9e-1b2d-4c3e-8f4a-0123456789ab"
OTHER = "5f0c3a9f-1b2d-4c3e-8f4a-0123456789ab"
JOURNAL = reverse("admin:messaging_journalentry_changelist")


def talk(correlation_id: str):
    with correlated(correlation_id):
        return messaging.publish(Ping(key=correlation_id))


def correlations(response) -> set[str]:
    return {entry.correlation_id for entry in response.context["cl"].result_list}


def test_the_short_order_id_finds_that_orders_journal(admin_client):
    talk(ORDER)
    talk(OTHER)

    response = admin_client.get(JOURNAL, {"q": ORDER[:8]})

    assert correlations(response) == {ORDER}
    assert JournalEntry.objects.filter(correlation_id=OTHER).exists()


def test_a_longer_prefix_with_its_dash_finds_it_too(admin_client):
    talk(ORDER)

    assert correlations(admin_client.get(JOURNAL, {"q": ORDER[:13]})) == {ORDER}


def test_a_too_short_term_says_so(admin_client):
    talk(ORDER)

    response = admin_client.get(JOURNAL, {"q": "5f0c"})

    assert correlations(response) == set()
    assert [m.message for m in get_messages(response.wsgi_request)] == [
        "'5f0c' is too short to find an id by: give at least 6 characters."
    ]


@pytest.mark.parametrize("model", [Message, Delivery], ids=lambda m: m.__name__)
def test_the_short_order_id_finds_that_orders_messages_and_deliveries(admin_client, model, run_deliveries):
    talk(ORDER)
    talk(OTHER)
    run_deliveries()
    changelist = reverse(f"admin:messaging_{model._meta.model_name}_changelist")

    response = admin_client.get(changelist, {"q": ORDER[:8]})

    listed = response.context["cl"].result_list
    assert listed and {row.correlation_id if model is Message else row.message.correlation_id for row in listed} == {
        ORDER
    }


def test_a_short_word_where_names_are_searched_too_is_not_taken_for_an_id(admin_client):
    response = admin_client.get(reverse("admin:orders_order_changelist"), {"q": "Ada"})

    assert response.status_code == 200
    assert list(get_messages(response.wsgi_request)) == []
