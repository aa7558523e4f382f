"""The live stream page: staff only, a shell that reads no journal row (they come over the websocket)."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import messaging
from messaging.models import JournalEntry
from tests.testapp.contracts import Ping

STREAM = reverse("dashboard:stream")


@pytest.fixture
def customer_client(client, db):
    """A logged-in user who is not staff (a vendor's user, say)."""
    client.force_login(get_user_model().objects.create_user("shopper", password="x"))
    return client


class TestWhoMaySeeIt:
    def test_an_anonymous_visitor_is_sent_to_log_in(self, client, db):
        response = client.get(STREAM)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))

    def test_a_user_who_is_not_staff_is_sent_to_log_in_as_staff(self, customer_client):
        response = customer_client.get(STREAM)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))

    def test_staff_see_the_dashboard_link_in_the_header_and_others_do_not(self, admin_client, customer_client):
        link = f'href="{STREAM}"'
        assert link in admin_client.get("/").content.decode()
        assert link not in customer_client.get("/").content.decode()


class TestThePage:
    def test_loads_the_client_and_names_the_socket_and_the_row_bound(self, admin_client):
        response = admin_client.get(STREAM)
        assert response.status_code == 200
        html = response.content.decode()
        assert "dashboard/stream.js" in html
        assert 'data-socket-path="/ws/dashboard/"' in html
        assert 'data-rows="500"' in html
        assert 'id="stream-state"' in html and "Connecting" in html

    def test_offers_the_registry_s_types_handlers_contexts_and_steps_as_filters(self, admin_client):
        html = admin_client.get(STREAM).content.decode()
        for value in ("orders.OrderPaid", "vendors.NotifyVendor", "orders.vendor_notified"):
            assert f'<option value="{value}">' in html
        assert '<option value="vendors">vendors</option>' in html
        assert '<option value="dead_lettered">Dead-lettered</option>' in html
        assert '<option value="command">command</option>' in html

    def test_takes_its_first_filters_from_the_address(self, admin_client):
        html = admin_client.get(STREAM, {"correlation": "order-42", "kind": "event"}).content.decode()
        assert 'name="correlation" value="order-42"' in html
        assert '<option value="event" selected>' in html

    def test_links_rows_to_the_flow_view_and_the_ledger_by_url_templates(self, admin_client):
        html = admin_client.get(STREAM).content.decode()
        assert 'data-flow-url="/dashboard/flow/CORRELATION/"' in html
        assert 'data-ledger-url="/dashboard/messages/00000000-0000-0000-0000-000000000000/"' in html

    def test_reads_no_journal_row_however_long_the_journal(self, admin_client, db):
        for number in range(30):
            messaging.publish(Ping(key=f"p{number}"))
        assert JournalEntry.objects.count() >= 30
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(STREAM).status_code == 200
        assert not [q["sql"] for q in queries if "messaging_journalentry" in q["sql"]]
        assert len(queries) <= 5  # the session and the user, nothing that grows with the data


class TestFind:
    def test_a_message_id_opens_its_ledger(self, admin_client, db):
        message_id = messaging.publish(Ping(key="found"))
        response = admin_client.get(reverse("dashboard:find"), {"q": f" {message_id} "})
        assert response["Location"] == reverse("dashboard:ledger", kwargs={"message_id": message_id})

    def test_anything_else_is_taken_as_a_correlation_id(self, admin_client):
        response = admin_client.get(reverse("dashboard:find"), {"q": "order-42"})
        assert response["Location"] == reverse("dashboard:flow", kwargs={"correlation_id": "order-42"})

    def test_an_empty_search_goes_back_to_the_stream(self, admin_client):
        assert admin_client.get(reverse("dashboard:find"), {"q": ""})["Location"] == STREAM
