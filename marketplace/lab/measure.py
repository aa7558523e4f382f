"""What one style's orders of one scenario went through, read back once they settled.

Through Orders' and Vendors' selectors (the orders, their vendors, their rows) and messaging's (each order's
conversation in the journal and its deliveries; an order's messages carry its id as correlation id):

- payment → the first, and → the last ``VendorNotified`` of the order (every vendor notified);
- failed attempts of Vendors' handlers, and of them the ones Orders was told of: in command style each failed
  attempt of a ``NotifyVendor`` (Orders reads its command's status), and how soon after payment; in event
  style none, Orders hears only of success;
- orders cancelled, grouped by why; lost (paid, not settled, and nothing left in flight or dead-lettered that
  could still move it: must be 0) and stuck (not settled when the wait ended, but something still in flight);
- messages, delivery attempts and rows written per order; dead letters left for an operator.
"""

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime

from marketplace.dashboard.stats import percentile
from messaging import selectors
from messaging.selectors import DeliveryStatus, Step
from orders import selectors as orders_selectors
from orders.contracts import OrderPaid
from vendors import selectors as vendors_selectors
from vendors.contracts import NotifyVendor, VendorNotified

SETTLED = {"accepted", "prepared", "completed", "cancelled"}
IN_FLIGHT = {DeliveryStatus.PENDING, DeliveryStatus.RUNNING, DeliveryStatus.FAILED}
WRITTEN = {Step.PUBLISHED, Step.SENT}
CURVE_POINTS = 101
# An order's cancel reason, as Orders writes it, and what it says in a few words.
CANCEL_KINDS = (
    ("not accepted in time", "vendor timeout"),
    ("could not be notified", "notification failed"),
    ("cannot supply", "out of stock"),
)


@dataclass
class StyleNumbers:
    style: str
    orders: int = 0
    paid: int = 0
    notified: int = 0  # orders with at least one vendor notified
    all_notified: int = 0  # orders with every vendor notified
    first_ms: list[float] = field(default_factory=list)  # ascending
    all_ms: list[float] = field(default_factory=list)  # ascending
    failed_attempts: int = 0  # Vendors' handlers
    told: int = 0  # failed attempts Orders was told of
    told_orders: int = 0
    told_after_ms: list[float] = field(default_factory=list)  # payment → the order's first failure told, ascending
    vendors_failed: int = 0  # command style: a NotifyVendor failed for good
    cancelled: int = 0
    cancel_reasons: dict[str, int] = field(default_factory=dict)
    settled: int = 0
    lost: int = 0
    stuck: int = 0
    lost_orders: list[str] = field(default_factory=list)
    stuck_orders: list[str] = field(default_factory=list)
    messages: int = 0
    attempts: int = 0
    rows_written: int = 0
    dead_letters: int = 0

    def per_order(self, total: int) -> float:
        return round(total / self.orders, 2) if self.orders else 0.0

    def summary(self, values: list[float]) -> dict:
        """p50, p95, p99 and max (ms) of an ascending list; ``None`` each when it is empty."""
        points = {"p50": 50, "p95": 95, "p99": 99, "max": 100}
        return {name: (round(percentile(values, p), 1) if values else None) for name, p in points.items()}

    def curve(self, values: list[float]) -> list[float | None]:
        if not values:
            return [None] * CURVE_POINTS
        return [round(percentile(values, max(p, 1)), 1) for p in range(CURVE_POINTS)]

    def as_json(self) -> dict:
        numbers = asdict(self)
        for name in ("first_ms", "all_ms", "told_after_ms"):
            numbers[name.removesuffix("_ms")] = self.summary(numbers.pop(name))
        numbers["messages_per_order"] = self.per_order(self.messages)
        numbers["attempts_per_order"] = self.per_order(self.attempts)
        numbers["rows_per_order"] = self.per_order(self.rows_written)
        return numbers


def style_numbers(*, tag: str, style: str) -> StyleNumbers:
    numbers = StyleNumbers(style)
    orders = orders_selectors.experiment_orders(experiment=tag)
    ids = [str(order.order_id) for order in orders]
    numbers.orders = len(orders)
    steps = selectors.conversations_steps(correlation_ids=ids)
    deliveries = selectors.conversations_deliveries(correlation_ids=ids)
    _notified(numbers, orders, steps)
    _failures(numbers, orders, steps)
    _outcomes(numbers, orders, steps, deliveries)
    numbers.messages = sum(1 for _c, step, *_ in steps if step in WRITTEN)
    numbers.attempts = sum(1 for _c, step, *_ in steps if step == Step.STARTED)
    numbers.rows_written = (
        len(steps)
        + numbers.messages
        + len(deliveries)
        + orders_selectors.experiment_rows(experiment=tag)
        + vendors_selectors.notification_rows(order_ids=[order.order_id for order in orders])
    )
    return numbers


def _notified(numbers: StyleNumbers, orders: list, steps: list) -> None:
    notified_at: dict[str, list[datetime]] = {}
    for correlation, step, message_type, _handler, at in steps:
        if step == Step.PUBLISHED and message_type == VendorNotified.name:
            notified_at.setdefault(correlation, []).append(at)
    for order in orders:
        moments = sorted(notified_at.get(str(order.order_id), []))
        if order.paid_at is None or not moments:
            continue
        numbers.notified += 1
        numbers.first_ms.append(_ms(moments[0] - order.paid_at))
        if len(moments) >= len(order.vendor_ids):
            numbers.all_notified += 1
            numbers.all_ms.append(_ms(moments[-1] - order.paid_at))
    numbers.first_ms.sort()
    numbers.all_ms.sort()


def _failures(numbers: StyleNumbers, orders: list, steps: list) -> None:
    contexts: dict[str, str] = {}
    first_told: dict[str, datetime] = {}
    for correlation, step, message_type, handler, at in steps:
        if step != Step.FAILED:
            continue
        if handler not in contexts:
            contexts[handler] = selectors.handler_context(name=handler)
        if contexts[handler] == "vendors":
            numbers.failed_attempts += 1
        if message_type == NotifyVendor.name:  # command style: Orders reads its command's status
            numbers.told += 1
            first_told[correlation] = min(at, first_told.get(correlation, at))
    paid_at = {str(order.order_id): order.paid_at for order in orders}
    numbers.told_orders = len(first_told)
    numbers.told_after_ms = sorted(_ms(at - paid_at[c]) for c, at in first_told.items() if paid_at.get(c))
    numbers.vendors_failed = sum(order.vendors_failed for order in orders)


def _outcomes(numbers: StyleNumbers, orders: list, steps: list, deliveries: list) -> None:
    in_flight, dead = Counter(), Counter()
    for correlation, _type, _context, status in deliveries:
        if status in IN_FLIGHT:
            in_flight[correlation] += 1
        elif status == DeliveryStatus.DEAD:
            dead[correlation] += 1
    paid_published = {c for c, step, kind, *_ in steps if step == Step.PUBLISHED and kind == OrderPaid.name}
    reasons = Counter()
    for order in orders:
        key = str(order.order_id)
        numbers.paid += order.paid_at is not None
        if order.status == "cancelled":
            numbers.cancelled += 1
            reasons[_cancel_kind(order.cancel_reason)] += 1
        if order.status in SETTLED:
            numbers.settled += 1
        elif order.paid_at is not None:
            if key not in paid_published or not (in_flight[key] or dead[key]):
                numbers.lost += 1
                numbers.lost_orders.append(key)
            else:
                numbers.stuck += 1
                numbers.stuck_orders.append(key)
    numbers.cancel_reasons = dict(reasons.most_common())
    numbers.dead_letters = sum(dead.values())


def _cancel_kind(reason: str) -> str:
    return next((kind for words, kind in CANCEL_KINDS if words in reason), reason or "no reason given")


def _ms(delta) -> float:
    return max(delta.total_seconds() * 1000, 0.0)
