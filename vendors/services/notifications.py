"""Paid orders told to a vendor: exactly once per (vendor, order), whatever the style.

Orders tells a vendor by event (``OrderPaid``) or by command (``NotifyVendor``),
may switch style mid-flow, and messages are retried and replayed. ``vendor_notify``
locks the vendor's row before it looks for an existing notification, so one
notification per (vendor, order) is ever made (the unique constraint backs this
up); a repeated call returns it unchanged and sends nothing.
"""

import logging
from collections.abc import Iterable, Mapping
from uuid import UUID

import messaging
from vendors.contracts import Line, OrderPrepared, StockUnavailable, VendorAccepted, VendorNotified
from vendors.models import CancelledOrder, Product, Vendor, VendorNotification
from vendors.services.products import stock_move

logger = logging.getLogger(__name__)

Status = VendorNotification.Status
VIA = ("event", "command")
RESERVING = (Status.NOTIFIED, Status.ACCEPTED, Status.PREPARED)  # statuses that hold stock


class NotificationStateError(Exception):
    """An action the notification's status does not allow: accepting twice, preparing before accepting..."""


@messaging.atomic_retried
def vendor_notify(*, vendor_id: int, order_id: UUID, lines: Iterable, via: str) -> VendorNotification:
    """Record the paid order for the vendor and reserve its stock, or reject it; once per (vendor, order)."""
    if via not in VIA:
        raise ValueError(f"via must be one of {VIA}, not {via!r}")
    wanted = _quantities(lines)
    with messaging.correlated(order_id):
        vendor = Vendor.objects.select_for_update().filter(pk=vendor_id).first()
        if vendor is None:
            # No row can be kept for a vendor that does not exist: answer, so the order does not wait.
            logger.warning("order %s names unknown vendor %s: stock unavailable", order_id, vendor_id)
            messaging.publish(StockUnavailable(order_id=order_id, vendor_id=vendor_id, product_ids=sorted(wanted)))
            rejected = VendorNotification(vendor_id=vendor_id, order_id=order_id, lines=_stored(wanted), via=via)
            rejected.status = Status.REJECTED
            return rejected  # unsaved: there is no vendor to keep it for
        existing = VendorNotification.objects.filter(vendor=vendor, order_id=order_id).first()
        if existing is not None:
            logger.info("order %s was already notified to %s (%s): nothing to do", order_id, vendor, existing.via)
            return existing
        if CancelledOrder.objects.filter(order_id=order_id).exists():
            logger.info("order %s reached %s after it was cancelled: nothing reserved", order_id, vendor)
            reason = CancelledOrder.objects.get(order_id=order_id).reason
            return _record(vendor, order_id, wanted, via, Status.CANCELLED, reason=reason)
        products = {
            p.pk: p for p in Product.objects.select_for_update().filter(vendor=vendor, pk__in=wanted).order_by("pk")
        }
        short = sorted(pid for pid, quantity in wanted.items() if pid not in products or products[pid].stock < quantity)
        if short or not vendor.active:
            reason = _shortage(wanted, products) if short else f"{vendor.name} is not taking orders (inactive)."
            notification = _record(vendor, order_id, wanted, via, Status.REJECTED, reason=reason)
            unavailable = short or sorted(wanted)
            messaging.publish(StockUnavailable(order_id=order_id, vendor_id=vendor.pk, product_ids=unavailable))
            return notification
        for product_id, quantity in wanted.items():
            stock_move(products[product_id], by=-quantity)
        notification = _record(vendor, order_id, wanted, via, Status.NOTIFIED)
        messaging.publish(VendorNotified(order_id=order_id, vendor_id=vendor.pk))
        return notification


@messaging.atomic_retried
def notification_accept(*, notification_id: int, actor: str = "") -> VendorNotification:
    """Vendor staff take the order on: NOTIFIED -> ACCEPTED, publishes ``VendorAccepted``."""
    notification = _locked(notification_id)
    _require(notification, Status.NOTIFIED, action="accept")
    with messaging.correlated(notification.order_id, actor=actor):
        _set_status(notification, Status.ACCEPTED)
        lines = [Line(**line) for line in notification.lines]
        messaging.publish(VendorAccepted(order_id=notification.order_id, vendor_id=notification.vendor_id, lines=lines))
    return notification


@messaging.atomic_retried
def notification_prepare(*, notification_id: int, actor: str = "") -> VendorNotification:
    """The goods are ready: ACCEPTED -> PREPARED, publishes ``OrderPrepared``."""
    notification = _locked(notification_id)
    _require(notification, Status.ACCEPTED, action="prepare")
    with messaging.correlated(notification.order_id, actor=actor):
        _set_status(notification, Status.PREPARED)
        messaging.publish(OrderPrepared(order_id=notification.order_id, vendor_id=notification.vendor_id))
    return notification


@messaging.atomic_retried
def notifications_cancel(*, order_id: UUID, reason: str) -> int:
    """The order was cancelled: release what its notifications reserved. Returns how many were cancelled."""
    with messaging.correlated(order_id):
        # Lock every vendor (a handful) so a vendor_notify of this order runs wholly before or after this.
        list(Vendor.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
        CancelledOrder.objects.get_or_create(order_id=order_id, defaults={"reason": reason[:200]})
        notifications = list(
            VendorNotification.objects.select_for_update()
            .filter(order_id=order_id, status__in=RESERVING)
            .order_by("pk")
        )
        for notification in notifications:
            _release(notification)
            notification.reason = reason[:200]
            _set_status(notification, Status.CANCELLED, "reason")
        if notifications:
            logger.info("order %s cancelled (%s): released %d notification(s)", order_id, reason, len(notifications))
    return len(notifications)


def _release(notification: VendorNotification) -> None:
    quantities = {line["product_id"]: line["quantity"] for line in notification.lines}
    for product in Product.objects.select_for_update().filter(pk__in=quantities).order_by("pk"):
        stock_move(product, by=quantities[product.pk])


def _quantities(lines: Iterable) -> dict[int, int]:
    """``{product_id: quantity}`` from ``Line``, ``PaidLine`` or dicts; repeated products are added up."""
    wanted: dict[int, int] = {}
    for raw in lines:
        fields = raw if isinstance(raw, Mapping) else {"product_id": raw.product_id, "quantity": raw.quantity}
        line = Line(product_id=fields["product_id"], quantity=fields["quantity"])
        wanted[line.product_id] = wanted.get(line.product_id, 0) + line.quantity
    if not wanted:
        raise ValueError("a notification needs at least one line")
    return dict(sorted(wanted.items()))


def _stored(wanted: dict[int, int]) -> list[dict]:
    return [{"product_id": product_id, "quantity": quantity} for product_id, quantity in wanted.items()]


def _record(
    vendor: Vendor, order_id: UUID, wanted: dict[int, int], via: str, status: str, *, reason: str = ""
) -> VendorNotification:
    return VendorNotification.objects.create(
        vendor=vendor, order_id=order_id, lines=_stored(wanted), via=via, status=status, reason=reason[:200]
    )


def _shortage(wanted: dict[int, int], products: dict[int, Product]) -> str:
    """``"Not enough in stock: Apples (3 wanted, 1 left)."``, naming every product that is short."""
    short = []
    for product_id, quantity in wanted.items():
        product = products.get(product_id)
        if product is None:
            short.append(f"product #{product_id} (not sold here)")
        elif product.stock < quantity:
            short.append(f"{product.name} ({quantity} wanted, {product.stock} left)")
    return "Not enough in stock: " + ", ".join(short) + "."


def _locked(notification_id: int) -> VendorNotification:
    return VendorNotification.objects.select_for_update().get(pk=notification_id)


def _set_status(notification: VendorNotification, status: str, *also: str) -> None:
    notification.status = status
    notification.save(update_fields=["status", "updated_at", *also])


def _require(notification: VendorNotification, status: str, *, action: str) -> None:
    if notification.status != status:
        raise NotificationStateError(_refusal(notification, action))


def _refusal(notification: VendorNotification, action: str) -> str:
    order = f"Order {str(notification.order_id)[:8]}"
    current = notification.status
    if current == Status.REJECTED:
        return f"{order} was rejected (stock unavailable): there is nothing to {action}."
    if current == Status.CANCELLED:
        return f"{order} was cancelled: there is nothing to {action}."
    if action == "prepare" and current == Status.NOTIFIED:
        return f"{order} must be accepted before it can be marked prepared."
    already = {Status.ACCEPTED: "accepted", Status.PREPARED: "prepared"}[current]
    return f"{order} is already {already}: nothing changed."
