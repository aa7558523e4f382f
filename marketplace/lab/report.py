"""One scenario's results as the page and ``--json`` show them: rows side by side, a verdict each, and what
the numbers say, written from the numbers of this run.

Each row says which style did better and by how much: for a measure where less is better (time, failures
unseen, cost), "event 2.1x faster" or "command: 14 fewer"; within 10 % it is "about the same".
"""

from dataclasses import dataclass

from marketplace.lab.measure import StyleNumbers
from marketplace.templatetags.marketplace_time import duration as duration_text

SAME_WITHIN = 1.10
LATENCY_ROWS = (
    ("first", "Payment → first vendor notified", "first_ms"),
    ("all", "Payment → every vendor notified", "all_ms"),
)


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    event: float | None
    command: float | None
    shown: tuple[str, str]
    lower_is_better: bool | None  # None: no verdict (a count both styles should share)
    unit: str  # "ms", "" (a count) or "per order"

    def as_json(self) -> dict:
        better, verdict = self.verdict()
        return {
            "key": self.key,
            "label": self.label,
            "event": self.shown[0],
            "command": self.shown[1],
            "verdict": verdict,
            "better": better,
            "values": {"event": self.event, "command": self.command},
        }

    def verdict(self) -> tuple[str | None, str]:
        if self.lower_is_better is None or self.event is None or self.command is None:
            return None, "—"
        if self.event == self.command:
            return None, "the same"
        low, high = sorted((("event", self.event), ("command", self.command)), key=lambda pair: pair[1])
        better = low if self.lower_is_better else high
        if self.unit == "ms":
            if low[1] <= 0 or high[1] / low[1] < SAME_WITHIN:
                return None, "about the same"
            return better[0], f"{better[0]} {high[1] / low[1]:.1f}x faster"
        if low[1] > 0 and high[1] / low[1] < SAME_WITHIN:
            return None, "about the same"
        difference = _number(abs(self.event - self.command))
        word = "fewer" if self.lower_is_better else "more"
        return better[0], f"{better[0]}: {difference} {word}{' per order' if self.unit == 'per order' else ''}"


def rows(event: StyleNumbers, command: StyleNumbers) -> list[Row]:
    both = (event, command)
    found = []
    for key, label, attribute in LATENCY_ROWS:
        for point in ("p50", "p95", "p99", "max"):
            values = [n.summary(getattr(n, attribute))[point] for n in both]
            shown = tuple(duration_text(v) if v is not None else "—" for v in values)
            found.append(Row(f"{key}_{point}", f"{label}, {point}", *values, shown, True, "ms"))
    found += [
        _count("orders", "Orders placed and paid", [n.paid for n in both], None),
        _count("notified_all", "Orders with every vendor notified", [n.all_notified for n in both], None),
        _count("failed_attempts", "Failed attempts of Vendors' handlers", [n.failed_attempts for n in both], True),
        Row(
            "told",
            "Failures Orders was told of",
            *[n.told for n in both],
            tuple(_told(n) for n in both),
            False,
            "",
        ),
        _count("cancelled", "Orders cancelled", [n.cancelled for n in both], None, shown=[_cancelled(n) for n in both]),
        _count("lost", "Orders lost (must be 0)", [n.lost for n in both], True),
        _count("stuck", "Orders stuck when the wait ended", [n.stuck for n in both], True),
        _ratio("messages", "Messages per order", [n.per_order(n.messages) for n in both]),
        _ratio("attempts", "Delivery attempts per order", [n.per_order(n.attempts) for n in both]),
        _ratio("rows", "Rows written per order", [n.per_order(n.rows_written) for n in both]),
        Row(
            "operator",
            "What an operator had to do",
            *[_operator_load(n) for n in both],
            tuple(operator_work(n) for n in both),
            True,
            "",
        ),
    ]
    return found


def findings(title: str, event: StyleNumbers, command: StyleNumbers, table: list[Row]) -> list[str]:
    """What the numbers say, sentence by sentence, from this run's numbers only."""
    by_key = {row.key: row for row in table}
    said = []
    if command.told:
        learned = (
            f", and the last vendor learned of its order {_ms(event.summary(event.all_ms)['max'])} after payment"
            if event.all_ms
            else ""
        )
        said.append(
            f"{title}: command style told Orders of {command.told} failure{_s(command.told)} in "
            f"{command.told_orders} order{_s(command.told_orders)}, within "
            f"{_ms(command.summary(command.told_after_ms)['max'])} of payment; event style told it of none"
            f"{learned}."
        )
    elif event.failed_attempts or command.failed_attempts:
        said.append(
            f"{title}: Vendors' handlers failed {event.failed_attempts} time{_s(event.failed_attempts)} in event "
            f"style and {command.failed_attempts} in command style, and neither style told Orders of it."
        )
    else:
        said.append(f"{title}: no attempt failed, so neither style had a failure to tell Orders of.")
    for key, label in (("first_p50", "the first vendor notified, p50"), ("all_p95", "every vendor notified, p95")):
        row = by_key[key]
        said.append(f"Payment to {label}: event {row.shown[0]}, command {row.shown[1]} ({row.verdict()[1]}).")
    said.append(
        f"Each order cost {_number(event.per_order(event.messages))} messages and "
        f"{_number(event.per_order(event.attempts))} delivery attempts in event style, "
        f"{_number(command.per_order(command.messages))} and {_number(command.per_order(command.attempts))} "
        "in command style."
    )
    cancelled = [f"{n.style} style {_cancelled(n)}" for n in (event, command) if n.cancelled]
    said.append(f"Cancelled: {'; '.join(cancelled)}." if cancelled else "No order was cancelled in either style.")
    lost = [f"{n.style} style lost {n.lost}" for n in (event, command) if n.lost]
    said.append(f"Lost: {', '.join(lost)}." if lost else "No order was lost in either style.")
    work = {n.style: operator_work(n) for n in (event, command)}
    if set(work.values()) == {"nothing"}:
        said.append("An operator had nothing to do in either style.")
    else:
        said.append(f"An operator had to: {'; '.join(f'{style} style, {w}' for style, w in work.items())}.")
    return said


def operator_work(numbers: StyleNumbers) -> str:
    tasks = []
    if numbers.dead_letters:
        tasks.append(f"retry or archive {numbers.dead_letters} dead letter{_s(numbers.dead_letters)}")
    if numbers.stuck or numbers.lost:
        waiting = numbers.stuck + numbers.lost
        tasks.append(f"look into {waiting} order{_s(waiting)} still waiting")
    return ", ".join(tasks) or "nothing"


def _operator_load(numbers: StyleNumbers) -> int:
    return numbers.dead_letters + numbers.stuck + numbers.lost


def _count(key, label, values, lower_is_better, shown=None) -> Row:
    return Row(key, label, *values, tuple(shown or [str(v) for v in values]), lower_is_better, "")


def _ratio(key, label, values) -> Row:
    return Row(key, label, *values, tuple(_number(v) for v in values), True, "per order")


def _told(numbers: StyleNumbers) -> str:
    if numbers.style == "event":
        return "none: Orders hears only of success"
    if not numbers.told:
        return "0"
    within = _ms(numbers.summary(numbers.told_after_ms)["max"])
    return f"{numbers.told} in {numbers.told_orders} order{_s(numbers.told_orders)}, within {within}"


def _cancelled(numbers: StyleNumbers) -> str:
    if not numbers.cancelled:
        return "0"
    reasons = ", ".join(f"{times} {kind}" for kind, times in numbers.cancel_reasons.items())
    return f"{numbers.cancelled} ({reasons})"


def _ms(value: float | None) -> str:
    return duration_text(value) if value is not None else "—"


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _s(count: int) -> str:
    return "" if count == 1 else "s"
