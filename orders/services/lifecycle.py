"""An order's life after payment, driven only by Vendors' messages, through one transition table.

    placed -> paid -> vendor_notified -> accepted -> prepared -> completed
               \\____________\\______________\\____-> cancelled (refunded)

The order moves on once *every* vendor in it has: been notified, then accepted, then
prepared; the customer completes it. Vendors' messages may arrive late or twice, so a
vendor may jump ahead (accepted before its "notified" came in) and "notified" may be
heard twice (the event, and the command's outcome). Anything else the table does not
allow (OrderPrepared for a cancelled order, a second VendorAccepted) is rejected and
logged, never applied; the handler still succeeds, since retrying cannot make it legal.
"""

import logging
from uuid import UUID

from django.utils import timezone
from django.utils.text import Truncator

import messaging
from orders import payment_gateway
from orders.contracts import OrderCancelled
from orders.models import Order, OrderVendor, Payment

logger = logging.getLogger(__name__)
S, V = Order.Status, OrderVendor.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    S.PLACED: frozenset({S.PAID}),
    S.PAID: frozenset({S.VENDOR_NOTIFIED, S.CANCELLED}),
    S.VENDOR_NOTIFIED: frozenset({S.ACCEPTED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.PREPARED, S.CANCELLED}),
    S.PREPARED: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}
VENDOR_TRANSITIONS: dict[str, frozenset[str]] = {
    V.WAITING: frozenset({V.NOTIFIED, V.ACCEPTED, V.PREPARED, V.REJECTED, V.FAILED}),
    V.NOTIFIED: frozenset({V.ACCEPTED, V.PREPARED}),
    V.ACCEPTED: frozenset({V.PREPARED}),
    V.PREPARED: frozenset(),
    V.REJECTED: frozenset(),
    V.FAILED: frozenset(),
}
VENDOR_RANK = {V.WAITING: 0, V.NOTIFIED: 1, V.ACCEPTED: 2, V.PREPARED: 3}  # rejected, failed: no progress
# The order's next step, and what every one of its vendors must have reached first.
FORWARD = {
    S.PAID: (S.VENDOR_NOTIFIED, V.NOTIFIED),
    S.VENDOR_NOTIFIED: (S.ACCEPTED, V.ACCEPTED),
    S.ACCEPTED: (S.PREPARED, V.PREPARED),
}
# What a vendor's news would make of the order: named in the log when the order cannot follow.
ORDER_EFFECT = {V.NOTIFIED: S.VENDOR_NOTIFIED, V.ACCEPTED: S.ACCEPTED, V.PREPARED: S.PREPARED}
REASON_MAX = Order._meta.get_field("cancel_reason").max_length  # OrderCancelled.reason's too


class OrderStateError(Exception):
    """The order's status does not allow this action; the message says why, for the customer."""


def transition(order: Order, target: str, *, cause: str, **fields) -> bool:
    """Move ``order`` to ``target`` (saving ``fields`` with it) if the table allows; else log and leave it."""
    if target not in TRANSITIONS[order.status]:
        _log_illegal(order, target, cause)
        return False
    order.status = target
    for name, value in fields.items():
        setattr(order, name, value)
    order.save(update_fields=["status", *fields, "updated_at"])
    return True


@messaging.atomic_retried
def order_vendor_notified(*, order_id: UUID, vendor_id: int, cause: str = "VendorNotified") -> Order:
    order, vendor = _locked(order_id, vendor_id)
    _vendor_step(order, vendor, V.NOTIFIED, cause=cause)
    return order


@messaging.atomic_retried
def order_vendor_accepted(*, order_id: UUID, vendor_id: int) -> Order:
    order, vendor = _locked(order_id, vendor_id)
    _vendor_step(order, vendor, V.ACCEPTED, cause="VendorAccepted")
    return order


@messaging.atomic_retried
def order_vendor_prepared(*, order_id: UUID, vendor_id: int) -> Order:
    order, vendor = _locked(order_id, vendor_id)
    _vendor_step(order, vendor, V.PREPARED, cause="OrderPrepared")
    return order


@messaging.atomic_retried
def order_stock_unavailable(*, order_id: UUID, vendor_id: int, product_ids: list[int]) -> Order:
    """A vendor reserved nothing: the order cannot be served, cancel it."""
    order, vendor = _locked(order_id, vendor_id)
    names = [line.name for line in order.lines.all() if line.product_id in set(product_ids)]
    _vendor_transition(vendor, V.REJECTED, cause="StockUnavailable")
    _cancel(order, f"{vendor.vendor_name} cannot supply {', '.join(names) or 'the order'}", cause="StockUnavailable")
    return order


@messaging.atomic_retried
def order_vendor_responses_check(*, order_id: UUID) -> Order:
    """The vendors' time is up: cancel the order unless every vendor has accepted it."""
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status not in (S.PAID, S.VENDOR_NOTIFIED):
        logger.info("order %s: vendors answered in time (order is %s)", order.pk, order.status)
        return order
    late = [
        v.vendor_name
        for v in order.vendors.order_by("vendor_name")
        if VENDOR_RANK.get(v.status, -1) < VENDOR_RANK[V.ACCEPTED]
    ]
    _cancel(order, f"not accepted in time by {', '.join(late)}", cause="CheckVendorResponses")
    return order


@messaging.atomic_retried
def order_notify_outcome(*, command_id: UUID, succeeded: bool, error: str = "", result=None) -> OrderVendor:
    """Command style: how the NotifyVendor sent to one vendor ended."""
    order_id, vendor_id = OrderVendor.objects.values_list("order_id", "vendor_id").get(command_id=command_id)
    order, vendor = _locked(order_id, vendor_id)
    if succeeded:
        vendor.acknowledged_at, vendor.last_error = timezone.now(), ""
        vendor.save(update_fields=["acknowledged_at", "last_error", "updated_at"])
        if (result or {}).get("status") != "rejected":  # a rejection also comes as StockUnavailable
            _vendor_step(order, vendor, V.NOTIFIED, cause="NotifyVendor succeeded")
        return vendor
    vendor.last_error = error
    vendor.save(update_fields=["last_error", "updated_at"])
    _vendor_transition(vendor, V.FAILED, cause="NotifyVendor failed")
    _cancel(order, f"{vendor.vendor_name} could not be notified: {error}", cause="NotifyVendor failed")
    return vendor


@messaging.atomic_retried
def order_cancel(*, order_id: UUID, reason: str) -> Order:
    """Cancel and refund the order if its status allows (paid up to accepted); else log and leave it."""
    order = Order.objects.select_for_update().get(pk=order_id)
    _cancel(order, reason, cause="order_cancel")
    return order


@messaging.atomic_retried
def order_complete(*, order_id: UUID) -> Order:
    """The customer confirms receipt of a prepared order."""
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status == S.COMPLETED:
        raise OrderStateError("This order is already completed.")
    if order.status == S.CANCELLED:
        raise OrderStateError("This order was cancelled.")
    if order.status != S.PREPARED:
        raise OrderStateError(f"This order cannot be confirmed yet: it is {order.get_status_display()}.")
    transition(order, S.COMPLETED, cause="order_complete")
    return order


def _locked(order_id: UUID, vendor_id: int) -> tuple[Order, OrderVendor]:
    """The order, then its vendor row, locked in that order (always the same order: no deadlock)."""
    order = Order.objects.select_for_update().get(pk=order_id)
    return order, OrderVendor.objects.select_for_update().get(order=order, vendor_id=vendor_id)


def _vendor_step(order: Order, vendor: OrderVendor, target: str, *, cause: str) -> None:
    if order.status not in FORWARD:
        _log_illegal(order, ORDER_EFFECT[target], cause)  # a cancelled order's OrderCancelled releases the stock
        return
    if _vendor_transition(vendor, target, cause=cause):
        _advance(order, cause=cause)


def _vendor_transition(vendor: OrderVendor, target: str, *, cause: str) -> bool:
    if target == V.NOTIFIED and VENDOR_RANK.get(vendor.status, -1) >= VENDOR_RANK[V.NOTIFIED]:
        return False  # heard twice (event and command outcome), or after the vendor moved on
    if target not in VENDOR_TRANSITIONS[vendor.status]:
        logger.warning(
            "order %s, vendor %s (%s): illegal transition %s -> %s rejected (%s)",
            vendor.order_id, vendor.vendor_id, vendor.vendor_name, vendor.status, target, cause,
        )  # fmt: skip
        return False
    vendor.status = target
    vendor.save(update_fields=["status", "updated_at"])
    return True


def _advance(order: Order, *, cause: str) -> None:
    """Take the order as far forward as all of its vendors are."""
    ranks = [VENDOR_RANK.get(status, -1) for status in order.vendors.values_list("status", flat=True)]
    while order.status in FORWARD:
        target, needed = FORWARD[order.status]
        if not ranks or min(ranks) < VENDOR_RANK[needed]:
            return
        transition(order, target, cause=cause)


def _cancel(order: Order, reason: str, *, cause: str) -> bool:
    reason = Truncator(reason).chars(REASON_MAX)
    if not transition(order, S.CANCELLED, cause=cause, cancel_reason=reason):
        return False
    now = timezone.now()
    for payment in order.payments.select_for_update().filter(status=Payment.Status.SUCCEEDED):
        refund_reference = payment_gateway.refund(payment.reference)
        payment.status, payment.refunded_at = Payment.Status.REFUNDED, now
        payment.message = f"refunded as {refund_reference}"
        payment.save(update_fields=["status", "refunded_at", "message"])
    with messaging.correlated(order.pk):
        messaging.publish(OrderCancelled(order_id=order.pk, reason=reason))
    return True


def _log_illegal(order: Order, target: str, cause: str) -> None:
    logger.warning("order %s: illegal transition %s -> %s rejected (%s)", order.pk, order.status, target, cause)
