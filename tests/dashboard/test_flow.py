"""The flow view: one correlation's causation tree, causes above their effects, trouble marked."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

import messaging
from marketplace.dashboard.flow import flow_for
from messaging.models import Message
from messaging.runtime.context import correlated
from tests.orders.factories import OrderFactory
from tests.testapp.contracts import Chain, DoWork, Rejected
from tests.testapp.handlers import work_outcome

CORRELATION = "flow-test-1"


def flow_url(correlation_id: str) -> str:
    return reverse("dashboard:flow", kwargs={"correlation_id": correlation_id})


def ledger_url(message_id) -> str:
    return reverse("dashboard:ledger", kwargs={"message_id": message_id})


@pytest.fixture
def conversation(db, run_deliveries):
    """In one correlation: a Chain whose handler publishes a Ping (two subscribers), a command with an
    outcome for its reply handler, and a Rejected whose handler dead-letters it."""
    with correlated(CORRELATION):
        chain = messaging.publish(Chain(key="c"))
        work = messaging.send(DoWork(key="w"), reply_to=work_outcome)
        rejected = messaging.publish(Rejected(key="r"))
    messaging.publish(Chain(key="elsewhere"))  # another correlation: not part of the flow
    run_deliveries()
    ping = Message.objects.get(type="tests.Ping", causation_id=str(chain), correlation_id=CORRELATION)
    outcome = Message.objects.get(type="messaging.CommandOutcome", causation_id=str(work))
    return {"chain": chain, "work": work, "rejected": rejected, "ping": ping.id, "outcome": outcome.id}


class TestTheTree:
    def test_roots_are_the_messages_no_message_of_the_flow_caused(self, conversation):
        flow = flow_for(CORRELATION)
        assert [node.message.id for node in flow.roots] == [
            conversation["chain"],
            conversation["work"],
            conversation["rejected"],
        ]
        assert flow.message_count == 5

    def test_a_message_hangs_under_the_delivery_whose_handler_wrote_it(self, conversation):
        chain = flow_for(CORRELATION).roots[0]
        (delivery,) = chain.deliveries
        assert delivery.delivery.handler == "tests.chain"
        (ping,) = delivery.caused
        assert ping.message.id == conversation["ping"]
        assert ping.written_by == "tests.chain"
        assert sorted(d.delivery.handler for d in ping.deliveries) == ["tests.ping_a", "tests.ping_b"]

    def test_a_command_s_outcome_hangs_under_the_command_s_handler(self, conversation):
        work = flow_for(CORRELATION).roots[1]
        assert work.message.kind == "command"
        (delivery,) = work.deliveries
        (outcome,) = delivery.caused
        assert outcome.message.id == conversation["outcome"]
        assert [d.delivery.handler for d in outcome.deliveries] == ["tests.work_outcome"]

    def test_a_dead_letter_marks_its_message_as_trouble(self, conversation):
        flow = flow_for(CORRELATION)
        rejected = flow.roots[2]
        assert rejected.trouble and rejected.deliveries[0].trouble
        assert rejected.deliveries[0].failed_attempts == 1
        assert not flow.roots[0].trouble
        assert flow.counts["dead"] == 1

    def test_an_unknown_correlation_has_no_flow(self, db):
        assert flow_for("nobody-sent-this") is None


class TestThePage:
    def test_draws_causes_above_and_around_their_effects(self, admin_client, conversation):
        html = admin_client.get(flow_url(CORRELATION)).content.decode()
        chain_at = html.index(f'data-message-id="{conversation["chain"]}"')
        handler_at = html.index('data-handler="tests.chain"', chain_at)
        ping_at = html.index(f'data-message-id="{conversation["ping"]}"', handler_at)
        work_at = html.index(f'data-message-id="{conversation["work"]}"')
        assert chain_at < handler_at < ping_at < work_at  # the Ping is inside the Chain's branch

    def test_links_every_message_to_its_ledger(self, admin_client, conversation):
        html = admin_client.get(flow_url(CORRELATION)).content.decode()
        for key in ("chain", "work", "rejected", "ping", "outcome"):
            assert f'href="{ledger_url(conversation[key])}"' in html

    def test_draws_commands_and_events_differently_and_marks_the_dead_letter(self, admin_client, conversation):
        html = admin_client.get(flow_url(CORRELATION)).content.decode()
        assert re.search(rf'<li class="flow-message command" data-message-id="{conversation["work"]}"', html)
        assert re.search(rf'<li class="flow-message event" data-message-id="{conversation["chain"]}"', html)
        assert re.search(rf'<li class="flow-message event trouble" data-message-id="{conversation["rejected"]}"', html)
        assert '<span class="badge dead">Dead letter</span>' in html
        assert "r can never be handled" in html

    def test_an_unknown_correlation_is_not_found_and_says_so(self, admin_client, db):
        response = admin_client.get(flow_url("nobody-sent-this"))
        assert response.status_code == 404
        assert "No message carries the correlation id" in response.content.decode()

    def test_is_for_staff_only(self, client, conversation):
        assert client.get(flow_url(CORRELATION))["Location"].startswith(reverse("admin:login"))
        client.force_login(get_user_model().objects.create_user("shopper", password="x"))
        assert client.get(flow_url(CORRELATION))["Location"].startswith(reverse("admin:login"))

    def test_links_to_the_order_page_when_the_correlation_is_an_order(self, admin_client, db):
        order = OrderFactory()
        with correlated(str(order.pk)):
            messaging.publish(Chain(key="order"))
        html = admin_client.get(flow_url(str(order.pk))).content.decode()
        assert f'href="{reverse("orders:order", kwargs={"token": order.pk})}"' in html


class TestTheOrderPageLink:
    def test_staff_see_a_flow_view_link_on_the_order_page(self, admin_client, db):
        order = OrderFactory()
        html = admin_client.get(reverse("orders:order", kwargs={"token": order.pk})).content.decode()
        assert f'href="{flow_url(str(order.pk))}"' in html

    def test_the_customer_does_not(self, client, db):
        order = OrderFactory()
        html = client.get(reverse("orders:order", kwargs={"token": order.pk})).content.decode()
        assert "Flow view" not in html
