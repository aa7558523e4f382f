"""The order page: paying with the test cards, confirming receipt, the live timeline."""

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from messaging import selectors as messaging_selectors
from messaging.models import FaultSetting, JournalEntry, Message
from orders.models import Order, Payment
from orders.services.lifecycle import order_stock_unavailable
from orders.services.payment import order_pay
from orders.services.placing import LineRequest, order_place
from tests.orders.factories import (
    CatalogProductFactory,
    OrderFactory,
    OrderLineFactory,
    OrderVendorFactory,
    paid_order,
)

pytestmark = pytest.mark.django_db

SUCCEEDS, DECLINED, PROCESSING_ERROR = "4242 4242 4242 4242", "4000 0000 0000 0002", "4000 0000 0000 0119"


def placed_order(**fields) -> Order:
    """An order for 2 x Apples at 2.50, as order_place leaves it (then ``fields`` set)."""
    order = OrderFactory(customer_name="Ada Lovelace", total=Decimal("5.00"), **fields)
    OrderLineFactory(order=order, vendor_id=10, vendor_name="Fresh Market", name="Apples", quantity=2)
    return order


def card(number=SUCCEEDS):
    return {"number": number, "expiry": f"12/{timezone.localdate().year % 100 + 1:02d}", "cvc": "123", "name": "Ada"}


def paid_messages(order):
    return Message.objects.filter(type="orders.OrderPaid", correlation_id=str(order.id)).count()


def state(order):
    order.refresh_from_db()
    return order.status, list(order.payments.values_list("status", flat=True)), paid_messages(order)


class TestOrderPage:
    def test_offers_the_payment_form_with_the_three_test_cards_and_what_each_does(self, client):
        order = placed_order()

        page = client.get(f"/orders/{order.id}/").content.decode()

        assert "<code>4242 4242 4242 4242</code> always succeeds" in page
        assert "<code>4000 0000 0000 0002</code> is declined" in page
        assert "<code>4000 0000 0000 0119</code> fails transiently" in page
        for field in ("number", "expiry", "cvc", "name"):
            assert re.search(rf'<label for="id_{field}">', page)

    @pytest.mark.parametrize("token", [uuid.uuid4(), "not-a-uuid", "1", "%27%3B--"])
    @pytest.mark.parametrize("action", ["", "timeline/"])
    def test_an_unknown_or_malformed_token_is_not_found(self, client, token, action):
        assert client.get(f"/orders/{token}/{action}").status_code == 404

    @pytest.mark.parametrize("action", ["pay/", "confirm/"])
    def test_posting_to_an_unknown_order_is_not_found(self, client, action):
        assert client.post(f"/orders/{uuid.uuid4()}/{action}", card()).status_code == 404

    @pytest.mark.parametrize("action", ["pay/", "confirm/"])
    def test_a_get_on_an_action_goes_back_to_the_order_page(self, client, action):
        order = placed_order()

        assert client.get(f"/orders/{order.id}/{action}")["Location"] == f"/orders/{order.id}/"


class TestPaying:
    def test_the_card_that_always_succeeds_pays_the_order_once(self, client):
        order = placed_order()

        response = client.post(f"/orders/{order.id}/pay/", card(SUCCEEDS), follow=True)

        page = response.content.decode()
        assert response.redirect_chain == [(f"/orders/{order.id}/", 302)]
        assert "Payment received: €5.00 charged to the card ending 4242." in page
        assert 'id="order-status">Paid<' in page and 'id="id_number"' not in page
        assert state(order) == ("paid", ["succeeded"], 1)

    @pytest.mark.parametrize(
        ("number", "message"),
        [
            (DECLINED, "The payment did not go through (declined: your card was declined). Nothing was charged."),
            (PROCESSING_ERROR, "The payment did not go through (processing error, try again). Nothing was charged."),
        ],
    )
    def test_a_refused_card_is_said_so_and_the_order_can_be_paid_again(self, client, number, message):
        order = placed_order()

        response = client.post(f"/orders/{order.id}/pay/", card(number))

        page = response.content.decode()
        assert response.status_code == 200
        assert message in page
        assert f'value="{number}"' in page
        status, payments, published = state(order)
        assert (status, published) == ("placed", 0) and payments != ["succeeded"]
        assert client.post(f"/orders/{order.id}/pay/", card(SUCCEEDS)).status_code == 302

    def test_a_double_submitted_payment_charges_once_and_publishes_order_paid_once(self, client):
        order = placed_order()
        client.post(f"/orders/{order.id}/pay/", card(SUCCEEDS))

        response = client.post(f"/orders/{order.id}/pay/", card(SUCCEEDS))

        assert response.status_code == 409
        assert "This order is already paid." in response.content.decode()
        assert state(order) == ("paid", ["succeeded"], 1)

    def test_a_cancelled_order_cannot_be_paid(self, client):
        order = placed_order(status=Order.Status.CANCELLED, cancel_reason="changed my mind")

        response = client.post(f"/orders/{order.id}/pay/", card(SUCCEEDS))

        assert response.status_code == 409
        assert "This order was cancelled: it cannot be paid." in response.content.decode()
        assert state(order) == ("cancelled", [], 0)

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"number": "4242 4242 4242 4241"}, "This card number is mistyped"),
            ({"expiry": "01/20"}, "This card has expired."),
            ({"cvc": "1"}, "The CVC is the 3 or 4 digits on the back of the card."),
            ({"name": "x" * 101}, "Ensure this value has at most 100 characters"),
        ],
    )
    def test_a_malformed_card_is_refused_before_any_charge(self, client, changes, message):
        order = placed_order()

        response = client.post(f"/orders/{order.id}/pay/", {**card(), **changes})

        assert response.status_code == 400
        assert message in response.content.decode()
        assert state(order) == ("placed", [], 0)

    def test_a_missing_csrf_token_is_forbidden_and_charges_nothing(self):
        order = placed_order()

        response = Client(enforce_csrf_checks=True).post(f"/orders/{order.id}/pay/", card(SUCCEEDS))

        assert response.status_code == 403
        assert state(order) == ("placed", [], 0)


class TestConfirmingReceipt:
    def test_a_prepared_order_offers_the_button_and_completes(self, client):
        order = placed_order(status=Order.Status.PREPARED)
        assert "Confirm receipt</button>" in client.get(f"/orders/{order.id}/").content.decode()

        response = client.post(f"/orders/{order.id}/confirm/", follow=True)

        assert "receipt confirmed" in response.content.decode()
        order.refresh_from_db()
        assert order.status == Order.Status.COMPLETED
        assert "Confirm receipt</button>" not in response.content.decode()

    @pytest.mark.parametrize(
        ("status", "message"),
        [
            (Order.Status.PLACED, "This order cannot be confirmed yet: it is Placed."),
            (Order.Status.ACCEPTED, "This order cannot be confirmed yet: it is Accepted."),
            (Order.Status.CANCELLED, "This order was cancelled."),
            (Order.Status.COMPLETED, "This order is already completed."),
        ],
    )
    def test_an_order_not_prepared_cannot_be_confirmed(self, client, status, message):
        order = placed_order(status=status)

        response = client.post(f"/orders/{order.id}/confirm/")

        assert response.status_code == 409
        assert message in response.content.decode()
        order.refresh_from_db()
        assert order.status == status

    def test_a_missing_csrf_token_is_forbidden(self):
        order = placed_order(status=Order.Status.PREPARED)

        response = Client(enforce_csrf_checks=True).post(f"/orders/{order.id}/confirm/")

        assert response.status_code == 403
        order.refresh_from_db()
        assert order.status == Order.Status.PREPARED


def journal(correlation_id, type_, *, kind="event", step="published", at=None, **fields):
    return JournalEntry.objects.create(
        at=at or timezone.now(), step=step, kind=kind, type=type_, correlation_id=str(correlation_id), **fields
    )


class TestTimeline:
    def test_the_partial_shows_this_orders_journal_rows_only_oldest_first(self, client):
        order, now = placed_order(), timezone.now()
        journal(order.id, "orders.OrderPaid", at=now)
        journal(order.id, "vendors.NotifyVendor", kind="command", step="failed", attempt=3, detail="unavailable")
        journal(uuid.uuid4(), "orders.SomeoneElsesOrder")

        response = client.get(f"/orders/{order.id}/timeline/")

        page = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in page
        assert page.index("orders.OrderPaid") < page.index("vendors.NotifyVendor")
        assert "SomeoneElsesOrder" not in page
        failed_attempt = r'<tr class="command trouble">.*?<td class="num">3</td>\s*<td class="detail">unavailable</td>'
        assert re.search(failed_attempt, page, re.S)
        assert '<span class="kind event">event</span>' in page

    def test_the_order_page_polls_the_partial_every_two_seconds_while_the_order_is_in_flight(self, client):
        order = placed_order(status=Order.Status.PAID)

        page = client.get(f"/orders/{order.id}/").content.decode()

        assert f'hx-get="/orders/{order.id}/timeline/" hx-trigger="every 2s"' in page
        assert "/static/django_htmx/htmx-2.min.js" in page

    @pytest.mark.parametrize("status", [Order.Status.COMPLETED, Order.Status.CANCELLED])
    def test_polling_stops_once_the_order_is_finished_and_its_messages_have_settled(self, client, status):
        order = placed_order(status=status)
        journal(order.id, "orders.OrderCancelled", at=timezone.now() - timedelta(seconds=11))

        assert "hx-trigger" not in client.get(f"/orders/{order.id}/timeline/").content.decode()

    def test_polling_goes_on_while_a_finished_orders_last_messages_are_still_coming(self, client):
        order = placed_order(status=Order.Status.CANCELLED)
        journal(order.id, "orders.OrderCancelled", at=timezone.now() - timedelta(seconds=1))

        assert 'hx-trigger="every 2s"' in client.get(f"/orders/{order.id}/timeline/").content.decode()

    def test_an_event_style_vendor_shows_its_status_and_no_command(self, client):
        order = placed_order(status=Order.Status.PAID, style="event")
        OrderVendorFactory(order=order, vendor_id=10, vendor_name="Fresh Market", status="notified")

        page = client.get(f"/orders/{order.id}/timeline/").content.decode()

        assert re.search(r"<td>Fresh Market</td>\s*<td><span class=\"badge notified\">Notified</span>", page)
        assert "none: told by the OrderPaid event" in page

    def test_vendors_still_on_their_way_say_cancelled_once_the_order_is_cancelled(self, client):
        # given a paid order one vendor was notified of and another refused (out of stock)
        order = paid_order("notified", "waiting")
        order_stock_unavailable(order_id=order.id, vendor_id=2, product_ids=[])

        page = client.get(f"/orders/{order.id}/timeline/").content.decode()

        # then the notified vendor's row follows the order, the one that refused keeps its reason
        assert re.search(r"<td>Vendor 1</td>\s*<td><span class=\"badge cancelled\">Cancelled \(was notified\)", page)
        assert re.search(r"<td>Vendor 2</td>\s*<td><span class=\"badge rejected\">Rejected</span>", page)
        assert ">Notified<" not in page


def test_payments_are_listed_with_their_outcome(client):
    order = placed_order()
    client.post(f"/orders/{order.id}/pay/", card(DECLINED))

    page = client.get(f"/orders/{order.id}/").content.decode()

    assert "•••• 0002" in page and Payment.objects.get().reference in page


class TestVendorsBreaker:
    def paid_orders_while_vendors_is_down(self, run_deliveries, count=5):
        FaultSetting.objects.create(context="vendors", unavailable=True)
        product = CatalogProductFactory(stock=50)
        orders = []
        for n in range(count):
            order = order_place(
                customer_name=f"Ada {n}", customer_email="ada@example.com", lines=[LineRequest(product.product_id, 1)]
            )
            order_pay(order_id=order.id, card_number=SUCCEEDS)
            orders.append(order)
        run_deliveries()
        return orders

    def test_an_order_waiting_on_vendors_says_the_breaker_is_open_and_when_it_tries_next(self, client, run_deliveries):
        # given Vendors is down and enough deliveries to it failed to open its breaker
        order = self.paid_orders_while_vendors_is_down(run_deliveries)[0]
        (breaker,) = [b for b in messaging_selectors.breakers() if b.context == "vendors"]
        assert breaker.state == "open"

        page = client.get(f"/orders/{order.id}/").content.decode()

        # then the order page says so, with the time of the next try: relative, the moment on hover
        assert "Vendors is not answering." in page
        assert f'The next try is\n  <time datetime="{breaker.open_until.isoformat()}" title="' in page
        assert re.search(r"data-relative>in \d+ s</time>", page)
        assert "circuit breaker is open" in page

    def test_no_notice_while_the_breaker_is_closed_or_the_order_is_done_with_vendors(self, client, run_deliveries):
        order = self.paid_orders_while_vendors_is_down(run_deliveries, count=1)[0]
        assert "Vendors is not answering." not in client.get(f"/orders/{order.id}/").content.decode()

        Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
        assert "Vendors is not answering." not in client.get(f"/orders/{order.id}/").content.decode()
