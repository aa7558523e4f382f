"""The trade-off panel: event style against command style, measured on recent orders.

For the newest ``SAMPLE`` paid orders of each style (``Order.style``; newest
placed, ``recent_paid_orders`` says why), read through Orders' selectors and
from the journal by correlation id (an order's messages carry ``str(order.id)``):

- time from payment (``Order.paid_at``) to the first ``vendors.VendorNotified``
  published for the order, and to the last one once every vendor of the order
  has been notified: p50 and p95;
- failed attempts in those conversations (journal ``failed`` steps), and which
  of them Orders could see: in command style the ``NotifyVendor`` commands that
  needed more than one attempt (their outcome says so) or failed for good
  (``OrderVendor`` failed); in event style Orders is told nothing of them;
- orders stuck waiting: paid more than ``STUCK_AFTER`` ago and still ``paid``
  (an order moves on only once every vendor is notified), counted over all
  orders of the style through the status index, not only the sample.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from marketplace.dashboard.stats import percentile
from messaging import selectors
from messaging.selectors import Step
from orders import selectors as orders_selectors
from vendors.contracts import VendorNotified

SAMPLE = 200
STUCK_AFTER = timedelta(seconds=60)
STUCK_LISTED = 10
STYLES = ("event", "command")
CURVE_POINTS = 101  # latency by percentile, 0..100, for the chart


@dataclass
class StyleNumbers:
    style: str
    orders: int = 0  # paid orders in the sample
    notified: int = 0  # of which at least one vendor was notified
    all_notified: int = 0  # of which every vendor was notified
    first_ms: list[float] = field(default_factory=list)  # payment -> first VendorNotified, ascending
    all_ms: list[float] = field(default_factory=list)  # payment -> last VendorNotified, all vendors notified
    failed_attempts: int = 0  # journal `failed` steps in the sample's conversations
    failed_by_context: dict[str, int] = field(default_factory=dict)
    orders_with_failures: int = 0
    commands_retried: int = 0  # command style: NotifyVendor that needed more than one attempt
    vendors_failed: int = 0  # command style: a NotifyVendor failed for good, Orders cancelled
    commands_troubled: int = 0  # command style: either of the two (a command counted once)
    stuck: int = 0
    stuck_orders: list = field(default_factory=list)  # the longest waiting, as Orders' selectors give them

    @property
    def first_p50(self) -> float | None:
        return percentile(self.first_ms, 50) if self.first_ms else None

    @property
    def first_p95(self) -> float | None:
        return percentile(self.first_ms, 95) if self.first_ms else None

    @property
    def all_p50(self) -> float | None:
        return percentile(self.all_ms, 50) if self.all_ms else None

    @property
    def all_p95(self) -> float | None:
        return percentile(self.all_ms, 95) if self.all_ms else None

    @property
    def seen_by_orders(self) -> int | None:
        """Failures Orders was told of; None in event style, where it is told nothing."""
        return self.commands_troubled if self.style == "command" else None

    def curve(self) -> list[float | None]:
        """Payment -> first notification by percentile (0..100), for the chart."""
        if not self.first_ms:
            return [None] * CURVE_POINTS
        return [percentile(self.first_ms, max(p, 1)) for p in range(CURVE_POINTS)]


def recent_paid_orders(style: str, *, limit: int = SAMPLE) -> list:
    """The newest ``limit`` orders paid in ``style``, newest payment first (Orders' rows)."""
    return orders_selectors.recent_paid_orders(style=style, limit=limit)


def style_numbers(style: str, *, now: datetime | None = None) -> StyleNumbers:
    now = now or timezone.now()
    numbers = StyleNumbers(style)
    orders = {str(order.pk): order for order in recent_paid_orders(style)}
    numbers.orders = len(orders)
    _notifications_and_failures(numbers, orders)
    if style == "command":
        _command_outcomes(numbers, orders)
    stuck = orders_selectors.orders_waiting_since(style=style, paid_before=now - STUCK_AFTER)
    numbers.stuck = stuck.count()
    numbers.stuck_orders = list(stuck[:STUCK_LISTED])
    return numbers


def _notifications_and_failures(numbers: StyleNumbers, orders: dict) -> None:
    if not orders:
        return
    vendor_counts = orders_selectors.vendor_counts(order_ids=list(orders))
    notified_at: dict[str, list[datetime]] = {}
    failed_orders = set()
    for correlation, step, message_type, handler, at in selectors.conversations_steps(correlation_ids=orders):
        if step == Step.PUBLISHED and message_type == VendorNotified.name:
            notified_at.setdefault(correlation, []).append(at)
        elif step == Step.FAILED:
            numbers.failed_attempts += 1
            context = selectors.handler_context(name=handler) or "unknown"
            numbers.failed_by_context[context] = numbers.failed_by_context.get(context, 0) + 1
            failed_orders.add(correlation)
    numbers.orders_with_failures = len(failed_orders)
    for correlation, moments in notified_at.items():
        paid_at = orders[correlation].paid_at
        moments.sort()
        numbers.notified += 1
        numbers.first_ms.append(_ms(moments[0] - paid_at))
        if len(moments) >= vendor_counts.get(correlation, 0):
            numbers.all_notified += 1
            numbers.all_ms.append(_ms(moments[-1] - paid_at))
    numbers.first_ms.sort()
    numbers.all_ms.sort()


def _command_outcomes(numbers: StyleNumbers, orders: dict) -> None:
    """What Orders can read of its NotifyVendor commands: attempts (outcome) and failures for good."""
    commands = orders_selectors.vendor_commands(order_ids=list(orders))
    retried = selectors.commands_retried(command_ids=[command for command, _ in commands if command is not None])
    numbers.vendors_failed = sum(gave_up for _command, gave_up in commands)
    numbers.commands_retried = len(retried)
    numbers.commands_troubled = sum(1 for command, gave_up in commands if gave_up or command in retried)


def _ms(delta: timedelta) -> float:
    return max(delta.total_seconds() * 1000, 0.0)


def tradeoffs(*, now: datetime | None = None) -> list[StyleNumbers]:
    now = now or timezone.now()
    return [style_numbers(style, now=now) for style in STYLES]


def chart_data(numbers: list[StyleNumbers]) -> dict:
    """Latency by percentile, one series per style, for uPlot."""
    return {"x": list(range(CURVE_POINTS)), **{n.style: n.curve() for n in numbers}}
