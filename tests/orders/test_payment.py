import threading
import time
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from messaging.models import Message
from orders import payment_gateway
from orders.models import Order, OrderVendor, Payment, StoreSettings
from orders.services.payment import NOTIFY_VENDOR_REPLY, OrderStateError, order_pay
from orders.services.placing import LineRequest, order_place
from tests.orders.factories import CatalogProductFactory, OrderFactory, StoreSettingsFactory

pytestmark = pytest.mark.django_db

GOOD, DECLINED, FLAKY = "4242 4242 4242 4242", "4000 0000 0000 0002", "4000000000000119"


@pytest.fixture
def order():
    """Placed: 2 apples of vendor 1 (2.50 each) and a tea of vendor 2 (3.00)."""
    apples = CatalogProductFactory(name="Apples", vendor_id=1, price=Decimal("2.50"))
    tea = CatalogProductFactory(name="Tea", vendor_id=2, price=Decimal("3.00"))
    return order_place(
        customer_name="Ada",
        customer_email="ada@example.com",
        lines=[LineRequest(apples.product_id, 2), LineRequest(tea.product_id, 1)],
    )


def messages(type_name):
    return list(Message.objects.filter(type=type_name))


def test_the_good_card_pays_the_order_and_publishes_order_paid(order):
    # when the customer pays with the card that always succeeds (spaces and all)
    payment = order_pay(order_id=order.pk, card_number=GOOD)
    # then the charge succeeded for the order's total and the order is paid, in the store's style
    assert (payment.status, payment.amount, payment.card_last4) == (Payment.Status.SUCCEEDED, Decimal("8.00"), "4242")
    assert payment.reference.startswith("ch_")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.paid_at is not None
    assert order.style == "event"
    # and Orders waits to hear from each vendor
    assert set(order.vendors.values_list("vendor_id", "status")) == {(1, "waiting"), (2, "waiting")}
    # and OrderPaid is published once, with the order's id as its correlation id
    (paid,) = messages("orders.OrderPaid")
    assert paid.correlation_id == str(order.pk)
    assert paid.payload["style"] == "event"
    assert paid.payload["total"] == "8.00"
    assert sorted((line["vendor_id"], line["quantity"]) for line in paid.payload["lines"]) == [(1, 2), (2, 1)]


def test_event_style_sends_no_command_to_vendors(order):
    order_pay(order_id=order.pk, card_number=GOOD)
    assert messages("vendors.NotifyVendor") == []
    assert not OrderVendor.objects.exclude(command_id=None).exists()


def test_the_vendors_answer_is_checked_after_the_configured_timeout(order):
    # given vendors have 60 seconds to accept
    StoreSettingsFactory(vendor_timeout_seconds=60)
    # when the order is paid
    before = timezone.now()
    order_pay(order_id=order.pk, card_number=GOOD)
    # then a CheckVendorResponses for the order is due in 60 seconds, not before
    (check,) = messages("orders.CheckVendorResponses")
    assert check.payload == {"order_id": str(order.pk)}
    assert check.correlation_id == str(order.pk)
    assert before + timedelta(seconds=60) <= check.not_before <= timezone.now() + timedelta(seconds=60)


def test_command_style_sends_one_notify_vendor_per_vendor_with_a_reply_handler(order):
    # given the store tells vendors by command
    StoreSettingsFactory(style="command")
    # when the order is paid
    order_pay(order_id=order.pk, card_number=GOOD)
    # then each vendor gets its own NotifyVendor, with only its lines, answered to Orders' reply handler
    order.refresh_from_db()
    assert order.style == "command"
    commands = {m.payload["vendor_id"]: m for m in messages("vendors.NotifyVendor")}
    assert sorted(commands) == [1, 2]
    assert [line["quantity"] for line in commands[1].payload["lines"]] == [2]
    assert [line["quantity"] for line in commands[2].payload["lines"]] == [1]
    assert {m.reply_to for m in commands.values()} == {NOTIFY_VENDOR_REPLY}
    assert {m.correlation_id for m in commands.values()} == {str(order.pk)}
    # and each OrderVendor knows its command, so the order page can follow it
    for vendor in order.vendors.all():
        assert vendor.command_id == commands[vendor.vendor_id].id
    # and OrderPaid is still published (a fact: the receipt needs it), and the answer still checked
    assert len(messages("orders.OrderPaid")) == 1
    assert messages("orders.OrderPaid")[0].payload["style"] == "command"
    assert len(messages("orders.CheckVendorResponses")) == 1


def test_a_declined_card_records_the_refusal_and_leaves_the_order_placed(order):
    payment = order_pay(order_id=order.pk, card_number=DECLINED)
    assert (payment.status, payment.message) == (Payment.Status.DECLINED, "declined: your card was declined")
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED
    assert not Message.objects.exists()
    assert not order.vendors.exists()


def test_a_transient_failure_can_be_retried_with_success(order):
    # given a first attempt failing with a processing error
    failed = order_pay(order_id=order.pk, card_number=FLAKY)
    assert (failed.status, failed.message) == (Payment.Status.FAILED, "processing error, try again")
    assert Order.objects.get(pk=order.pk).status == Order.Status.PLACED
    # when the customer tries again
    paid = order_pay(order_id=order.pk, card_number=GOOD)
    # then the second attempt pays the order, and both attempts are on record
    assert paid.status == Payment.Status.SUCCEEDED
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID
    assert sorted(order.payments.values_list("status", flat=True)) == ["failed", "succeeded"]


def test_an_unknown_card_is_declined_as_such(order):
    payment = order_pay(order_id=order.pk, card_number="5555 5555 5555 4444")
    assert (payment.status, payment.message, payment.card_last4) == ("declined", "declined: unknown test card", "4444")
    assert Order.objects.get(pk=order.pk).status == Order.Status.PLACED


def test_paying_a_paid_order_again_is_refused_and_charges_once(order):
    # given a paid order
    order_pay(order_id=order.pk, card_number=GOOD)
    # when the payment form is submitted again
    with (
        mock.patch.object(payment_gateway, "charge", wraps=payment_gateway.charge) as charge,
        pytest.raises(OrderStateError, match="already paid"),
    ):
        order_pay(order_id=order.pk, card_number=GOOD)
    # then the card is not charged again and OrderPaid was published once
    charge.assert_not_called()
    assert order.payments.count() == 1
    assert len(messages("orders.OrderPaid")) == 1


def test_a_cancelled_order_cannot_be_paid():
    order = OrderFactory(status=Order.Status.CANCELLED, total=Decimal("5.00"))
    with pytest.raises(OrderStateError, match="cancelled"):
        order_pay(order_id=order.pk, card_number=GOOD)
    assert not Payment.objects.exists()
    assert not Message.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_payments_racing_charge_once(order):
    # given the gateway is slow, so that two submits of one order overlap
    def slow_charge(card_number, amount, **kwargs):
        time.sleep(0.3)
        return real_charge(card_number, amount, **kwargs)

    real_charge, start, outcomes = payment_gateway.charge, threading.Barrier(2), []

    def pay():
        try:
            start.wait()
            outcomes.append(order_pay(order_id=order.pk, card_number=GOOD).status)
        except OrderStateError as refused:
            outcomes.append(str(refused))
        finally:
            connection.close()

    # when two threads pay the order at the same time
    with mock.patch.object(payment_gateway, "charge", side_effect=slow_charge) as charge:
        threads = [threading.Thread(target=pay) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    # then one payment succeeded, the other was refused, and the card was charged once
    assert sorted(outcomes) == sorted(["succeeded", "This order is already paid."])
    assert charge.call_count == 1
    assert Payment.objects.filter(order=order).count() == 1
    assert len(messages("orders.OrderPaid")) == 1


def test_a_number_that_is_no_card_number_is_declined_and_only_digits_are_kept(order):
    payment = order_pay(order_id=order.pk, card_number="<script>12")
    assert (payment.status, payment.message, payment.card_last4) == ("declined", "declined: unknown test card", "12")
    assert Order.objects.get(pk=order.pk).status == Order.Status.PLACED


def test_an_order_given_its_own_vendor_timeout_is_checked_then_and_the_stores_setting_stays(order):
    # given vendors have 300 seconds to accept in this store
    StoreSettingsFactory(vendor_timeout_seconds=300)
    # when an order is paid giving its vendors 7 seconds
    before = timezone.now()
    order_pay(order_id=order.pk, card_number=GOOD, vendor_timeout_seconds=7)
    # then its CheckVendorResponses is due in 7 seconds
    (check,) = messages("orders.CheckVendorResponses")
    assert check.payload == {"order_id": str(order.pk)}
    assert before + timedelta(seconds=7) <= check.not_before <= timezone.now() + timedelta(seconds=7)
    # and the store still gives every other order 300 seconds
    assert StoreSettings.objects.get().vendor_timeout_seconds == 300


@pytest.mark.parametrize("seconds", [0, -1, True, 2.5, "7"])
def test_a_vendor_timeout_under_a_second_or_not_whole_is_refused_before_any_charge(order, seconds):
    with pytest.raises(ValueError, match="vendor_timeout_seconds"):
        order_pay(order_id=order.pk, card_number=GOOD, vendor_timeout_seconds=seconds)

    assert not Payment.objects.exists()
    assert Order.objects.get(pk=order.pk).status == Order.Status.PLACED
