import logging
import uuid

import pytest

from messaging.models import Message
from orders.models import Order, OrderVendor, Payment
from orders.services import lifecycle
from orders.services.lifecycle import TRANSITIONS, OrderStateError
from tests.orders.factories import OrderFactory, paid_order

pytestmark = pytest.mark.django_db

S, V = Order.Status, OrderVendor.Status
LOGGER = "orders.services.lifecycle"


def status_of(order) -> str:
    return Order.objects.get(pk=order.pk).status


def vendor_statuses(order) -> list[str]:
    return list(order.vendors.order_by("vendor_id").values_list("status", flat=True))


def published(type_name: str) -> list[Message]:
    return list(Message.objects.filter(type=type_name))


def illegal_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]


# The table itself

LEGAL = [(current, target) for current, targets in TRANSITIONS.items() for target in targets]
ILLEGAL = [(current, target) for current in S.values for target in S.values if target not in TRANSITIONS[current]]


def test_the_table_is_the_documented_life_of_an_order():
    assert sorted(LEGAL) == sorted(
        [
            (S.PLACED, S.PAID),
            (S.PAID, S.VENDOR_NOTIFIED),
            (S.VENDOR_NOTIFIED, S.ACCEPTED),
            (S.ACCEPTED, S.PREPARED),
            (S.PREPARED, S.COMPLETED),
            (S.PAID, S.CANCELLED),
            (S.VENDOR_NOTIFIED, S.CANCELLED),
            (S.ACCEPTED, S.CANCELLED),
        ]
    )


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_a_legal_transition_is_applied(current, target):
    order = OrderFactory(status=current)
    assert lifecycle.transition(order, target, cause="test") is True
    assert status_of(order) == target


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_an_illegal_transition_is_logged_and_not_applied(current, target, caplog):
    order = OrderFactory(status=current)
    assert lifecycle.transition(order, target, cause="test") is False
    assert status_of(order) == current
    assert illegal_warnings(caplog) == [f"order {order.pk}: illegal transition {current} -> {target} rejected (test)"]


# Vendors' news moves the order on once every vendor has reached a step


def test_the_order_is_vendor_notified_once_every_vendor_is():
    # given a paid order with two vendors
    order = paid_order(V.WAITING, V.WAITING)
    # when the first vendor is notified, the order waits for the second
    lifecycle.order_vendor_notified(order_id=order.pk, vendor_id=1)
    assert (status_of(order), vendor_statuses(order)) == (S.PAID, [V.NOTIFIED, V.WAITING])
    # when the second is, the order is vendor_notified
    lifecycle.order_vendor_notified(order_id=order.pk, vendor_id=2)
    assert (status_of(order), vendor_statuses(order)) == (S.VENDOR_NOTIFIED, [V.NOTIFIED, V.NOTIFIED])


def test_the_order_is_accepted_once_every_vendor_accepted():
    order = paid_order(V.NOTIFIED, V.NOTIFIED, status=S.VENDOR_NOTIFIED)
    lifecycle.order_vendor_accepted(order_id=order.pk, vendor_id=2)
    assert status_of(order) == S.VENDOR_NOTIFIED
    lifecycle.order_vendor_accepted(order_id=order.pk, vendor_id=1)
    assert (status_of(order), vendor_statuses(order)) == (S.ACCEPTED, [V.ACCEPTED, V.ACCEPTED])


def test_the_order_is_prepared_once_every_vendor_prepared():
    order = paid_order(V.ACCEPTED, V.ACCEPTED, status=S.ACCEPTED)
    lifecycle.order_vendor_prepared(order_id=order.pk, vendor_id=1)
    assert status_of(order) == S.ACCEPTED
    lifecycle.order_vendor_prepared(order_id=order.pk, vendor_id=2)
    assert (status_of(order), vendor_statuses(order)) == (S.PREPARED, [V.PREPARED, V.PREPARED])


def test_the_customer_completes_a_prepared_order():
    order = paid_order(V.PREPARED, status=S.PREPARED)
    lifecycle.order_complete(order_id=order.pk)
    assert status_of(order) == S.COMPLETED


def test_a_vendor_that_accepted_before_its_notification_arrived_moves_the_order_through_both_steps(caplog):
    # given a paid order whose VendorNotified is still on its way (delayed by retries)
    order = paid_order(V.WAITING)
    # when VendorAccepted arrives first
    lifecycle.order_vendor_accepted(order_id=order.pk, vendor_id=1)
    # then the order goes paid -> vendor_notified -> accepted, each step through the table
    assert (status_of(order), vendor_statuses(order)) == (S.ACCEPTED, [V.ACCEPTED])
    # and the late VendorNotified changes nothing, and is no error
    lifecycle.order_vendor_notified(order_id=order.pk, vendor_id=1)
    assert (status_of(order), vendor_statuses(order)) == (S.ACCEPTED, [V.ACCEPTED])
    assert illegal_warnings(caplog) == []


def test_hearing_twice_that_a_vendor_was_notified_is_no_error(caplog):
    # given command style: the command's outcome said "notified" already
    order = paid_order(V.NOTIFIED, status=S.VENDOR_NOTIFIED)
    # when the VendorNotified event arrives as well
    lifecycle.order_vendor_notified(order_id=order.pk, vendor_id=1)
    # then nothing changes and nothing is logged as illegal
    assert (status_of(order), vendor_statuses(order)) == (S.VENDOR_NOTIFIED, [V.NOTIFIED])
    assert illegal_warnings(caplog) == []


# Illegal news is logged and never applied


def test_a_second_vendor_accepted_is_rejected_and_logged(caplog):
    order = paid_order(V.ACCEPTED, V.NOTIFIED, status=S.VENDOR_NOTIFIED)
    lifecycle.order_vendor_accepted(order_id=order.pk, vendor_id=1)
    assert (status_of(order), vendor_statuses(order)) == (S.VENDOR_NOTIFIED, [V.ACCEPTED, V.NOTIFIED])
    assert illegal_warnings(caplog) == [
        f"order {order.pk}, vendor 1 (Vendor 1): illegal transition accepted -> accepted rejected (VendorAccepted)"
    ]


def test_order_prepared_for_a_cancelled_order_is_rejected_and_logged(caplog):
    order = paid_order(V.ACCEPTED, status=S.CANCELLED)
    lifecycle.order_vendor_prepared(order_id=order.pk, vendor_id=1)
    assert (status_of(order), vendor_statuses(order)) == (S.CANCELLED, [V.ACCEPTED])
    assert illegal_warnings(caplog) == [
        f"order {order.pk}: illegal transition cancelled -> prepared rejected (OrderPrepared)"
    ]


def test_vendor_news_about_an_unpaid_order_is_rejected_and_logged(caplog):
    order = paid_order(V.WAITING, status=S.PLACED)
    lifecycle.order_vendor_notified(order_id=order.pk, vendor_id=1)
    assert (status_of(order), vendor_statuses(order)) == (S.PLACED, [V.WAITING])
    assert "illegal transition placed -> vendor_notified" in illegal_warnings(caplog)[0]


def test_a_vendor_notified_after_the_order_was_cancelled_changes_nothing(caplog):
    # given an order cancelled (say, by the timeout) before a vendor's notification came in
    order = paid_order(V.WAITING, status=S.CANCELLED)
    # when the vendor reports it was notified
    lifecycle.order_vendor_notified(order_id=order.pk, vendor_id=1)
    # then the order stays cancelled and the news is logged (the OrderCancelled sent releases the vendor's stock)
    assert (status_of(order), vendor_statuses(order)) == (S.CANCELLED, [V.WAITING])
    assert illegal_warnings(caplog) == [
        f"order {order.pk}: illegal transition cancelled -> vendor_notified rejected (VendorNotified)"
    ]
    assert published("orders.OrderCancelled") == []


@pytest.mark.parametrize("status", [S.PLACED, S.PAID, S.VENDOR_NOTIFIED, S.ACCEPTED, S.COMPLETED, S.CANCELLED])
def test_only_a_prepared_order_can_be_completed(status):
    order = OrderFactory(status=status)
    with pytest.raises(OrderStateError):
        lifecycle.order_complete(order_id=order.pk)
    assert status_of(order) == status


def test_completing_says_why_it_cannot():
    with pytest.raises(OrderStateError, match="cannot be confirmed yet: it is vendor notified"):
        lifecycle.order_complete(order_id=OrderFactory(status=S.VENDOR_NOTIFIED).pk)
    with pytest.raises(OrderStateError, match="already completed"):
        lifecycle.order_complete(order_id=OrderFactory(status=S.COMPLETED).pk)
    with pytest.raises(OrderStateError, match="was cancelled"):
        lifecycle.order_complete(order_id=OrderFactory(status=S.CANCELLED).pk)


# Cancelling refunds and tells Vendors


@pytest.mark.parametrize("status", [S.PAID, S.VENDOR_NOTIFIED, S.ACCEPTED])
def test_cancelling_refunds_the_payment_and_publishes_order_cancelled(status):
    # given a paid order
    order = paid_order(V.NOTIFIED, status=status)
    # when it is cancelled
    lifecycle.order_cancel(order_id=order.pk, reason="the shop burnt down")
    # then it is cancelled with its reason, the charge refunded, and Vendors told
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (S.CANCELLED, "the shop burnt down")
    payment = order.payments.get()
    assert payment.status == Payment.Status.REFUNDED
    assert payment.refunded_at is not None
    assert payment.message.startswith("refunded as re_")
    (cancelled,) = published("orders.OrderCancelled")
    assert cancelled.payload == {"order_id": str(order.pk), "reason": "the shop burnt down"}
    assert cancelled.correlation_id == str(order.pk)


@pytest.mark.parametrize("status", [S.PLACED, S.PREPARED, S.COMPLETED, S.CANCELLED])
def test_an_order_past_cancelling_is_not_cancelled_nor_refunded(status, caplog):
    order = paid_order(V.PREPARED, status=status)
    lifecycle.order_cancel(order_id=order.pk, reason="too late")
    assert status_of(order) == status
    assert order.payments.get().status == Payment.Status.SUCCEEDED
    assert published("orders.OrderCancelled") == []
    assert f"illegal transition {status} -> cancelled" in illegal_warnings(caplog)[0]


def test_a_long_reason_is_shortened_to_fit():
    order = paid_order()
    lifecycle.order_cancel(order_id=order.pk, reason="x" * 500)
    assert len(Order.objects.get(pk=order.pk).cancel_reason) == 200
    assert len(published("orders.OrderCancelled")[0].payload["reason"]) == 200


def test_stock_unavailable_cancels_the_order_and_says_what_is_missing():
    # given an order of two vendors, the second one notified
    order = paid_order(V.WAITING, V.NOTIFIED)
    missing = order.lines.get(vendor_id=1)
    # when the first vendor reports stock unavailable
    lifecycle.order_stock_unavailable(order_id=order.pk, vendor_id=1, product_ids=[missing.product_id])
    # then that vendor rejected it, and the order is cancelled, refunded, Vendors told
    order.refresh_from_db()
    assert vendor_statuses(order) == [V.REJECTED, V.NOTIFIED]
    assert (order.status, order.cancel_reason) == (S.CANCELLED, f"Vendor 1 cannot supply {missing.name}")
    assert order.payments.get().status == Payment.Status.REFUNDED
    assert len(published("orders.OrderCancelled")) == 1


# The vendors' time is up


def test_vendors_that_have_not_all_accepted_in_time_get_the_order_cancelled():
    order = paid_order(V.ACCEPTED, V.NOTIFIED, V.WAITING)
    lifecycle.order_vendor_responses_check(order_id=order.pk)
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (S.CANCELLED, "not accepted in time by Vendor 2, Vendor 3")
    assert order.payments.get().status == Payment.Status.REFUNDED
    assert len(published("orders.OrderCancelled")) == 1


@pytest.mark.parametrize("status", [S.ACCEPTED, S.PREPARED, S.COMPLETED, S.CANCELLED])
def test_an_order_already_accepted_or_ended_is_left_alone_by_the_check(status, caplog):
    order = paid_order(V.ACCEPTED, status=status)
    lifecycle.order_vendor_responses_check(order_id=order.pk)
    assert status_of(order) == status
    assert published("orders.OrderCancelled") == []
    assert illegal_warnings(caplog) == []


# Command style: the NotifyVendor's outcome


def test_a_succeeded_command_acknowledges_the_vendor_and_moves_the_order_on():
    order = paid_order(V.WAITING, style="command")
    command_id = uuid.uuid4()
    order.vendors.update(command_id=command_id, last_error="earlier")
    lifecycle.order_notify_outcome(command_id=command_id, succeeded=True, result={"status": "notified"})
    vendor = order.vendors.get()
    assert (vendor.status, vendor.last_error) == (V.NOTIFIED, "")
    assert vendor.acknowledged_at is not None
    assert status_of(order) == S.VENDOR_NOTIFIED


def test_a_command_answered_with_a_rejection_waits_for_stock_unavailable_to_cancel():
    order = paid_order(V.WAITING, style="command")
    command_id = uuid.uuid4()
    order.vendors.update(command_id=command_id)
    lifecycle.order_notify_outcome(command_id=command_id, succeeded=True, result={"status": "rejected"})
    vendor = order.vendors.get()
    assert (vendor.status, vendor.acknowledged_at is not None) == (V.WAITING, True)
    assert status_of(order) == S.PAID


def test_a_failed_command_fails_the_vendor_and_cancels_the_order():
    # given a paid order in command style
    order = paid_order(V.WAITING, V.NOTIFIED, style="command")
    command_id = uuid.uuid4()
    order.vendors.filter(vendor_id=1).update(command_id=command_id)
    # when the NotifyVendor to vendor 1 failed for good
    lifecycle.order_notify_outcome(command_id=command_id, succeeded=False, error="service unavailable: vendors is down")
    # then the vendor's part failed with the error, and the order is cancelled and refunded
    failed = order.vendors.get(vendor_id=1)
    assert (failed.status, failed.last_error) == (V.FAILED, "service unavailable: vendors is down")
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert order.cancel_reason == "Vendor 1 could not be notified: service unavailable: vendors is down"
    assert order.payments.get().status == Payment.Status.REFUNDED
    assert len(published("orders.OrderCancelled")) == 1
