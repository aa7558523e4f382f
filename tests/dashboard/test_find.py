"""Find with the 8 characters the pages show: a unique prefix opens its flow or ledger, an ambiguous one lists
the ids it could be, a too short one says so."""

import pytest
from django.urls import reverse

import messaging
from messaging.runtime.context import correlated
from messaging.selectors import MIN_PREFIX, ids_matching
from tests.testapp.contracts import Ping

pytestmark = pytest.mark.django_db

ORDER = "5f0c3a9e-1b2d-4c3e-8f4a-0123456789ab"
TWIN_A = "77aa11bb-0000-4000-8000-000000000001"
TWIN_B = "77aa11bb-0000-4000-8000-000000000002"


def talk(correlation_id: str):
    with correlated(correlation_id):
        return messaging.publish(Ping(key=correlation_id))


def find(client, term):
    return client.get(reverse("dashboard:find"), {"q": term})


class TestIdsMatching:
    def test_a_prefix_finds_the_correlation_it_starts(self):
        talk(ORDER)
        talk(TWIN_A)

        found = ids_matching(term=ORDER[:8])

        assert (found.correlation_ids, found.problem, found.ambiguous) == ([ORDER], "", False)

    def test_a_prefix_finds_a_message_by_its_id(self):
        message_id = talk(ORDER)

        assert ids_matching(term=str(message_id)[:10].upper()).message_ids == [message_id]

    def test_a_prefix_several_ids_start_with_lists_them_all(self):
        talk(TWIN_A)
        talk(TWIN_B)

        found = ids_matching(term="77aa11bb")

        assert found.ambiguous and found.correlation_ids == [TWIN_A, TWIN_B]

    def test_fewer_than_the_minimum_characters_is_refused_with_a_reason(self):
        talk(ORDER)

        found = ids_matching(term=ORDER[: MIN_PREFIX - 1])

        assert found.count == 0
        assert found.problem == f"Give at least 6 characters of an id: {ORDER[:5]!r} is too short."

    def test_a_correlation_id_that_is_not_hex_is_found_whole_only(self):
        talk("order-42")

        assert ids_matching(term="order-42").correlation_ids == ["order-42"]
        assert ids_matching(term="order-4").count == 0


class TestFind:
    def test_the_short_id_the_pages_show_opens_the_orders_flow(self, admin_client):
        talk(ORDER)

        response = find(admin_client, ORDER[:8])

        assert response["Location"] == reverse("dashboard:flow", kwargs={"correlation_id": ORDER})

    def test_the_start_of_a_message_id_opens_its_ledger(self, admin_client):
        message_id = talk(ORDER)

        response = find(admin_client, str(message_id)[:8])

        assert response["Location"] == reverse("dashboard:ledger", kwargs={"message_id": message_id})

    def test_an_ambiguous_prefix_says_so_and_links_every_match(self, admin_client):
        talk(TWIN_A)
        talk(TWIN_B)

        response = find(admin_client, "77aa11")

        page = response.content.decode()
        assert response.status_code == 200
        assert "2 ids start with <code>77aa11</code>" in page
        for twin in (TWIN_A, TWIN_B):
            assert f'href="{reverse("dashboard:flow", kwargs={"correlation_id": twin})}"' in page

    def test_a_too_short_prefix_is_a_clear_error(self, admin_client):
        response = find(admin_client, "77aa")

        assert response.status_code == 400
        assert "Give at least 6 characters of an id" in response.content.decode()
