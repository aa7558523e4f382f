"""Rows, verdicts and what the numbers say, from the numbers given: nothing in them is fixed prose."""

from marketplace.lab.measure import StyleNumbers
from marketplace.lab.report import findings, operator_work, rows


def numbers(style: str, **values) -> StyleNumbers:
    base = {"orders": 10, "paid": 10, "notified": 10, "all_notified": 10, "messages": 60, "attempts": 60}
    found = StyleNumbers(style, **{**base, **values})
    for name in ("first_ms", "all_ms", "told_after_ms"):
        getattr(found, name).sort()
    return found


def by_key(event: StyleNumbers, command: StyleNumbers) -> dict:
    return {row["key"]: row for row in (row.as_json() for row in rows(event, command))}


def test_a_faster_style_wins_the_latency_row_by_its_ratio():
    table = by_key(numbers("event", first_ms=[100.0] * 10), numbers("command", first_ms=[250.0] * 10))
    assert table["first_p50"]["event"] == "100 ms" and table["first_p50"]["command"] == "250 ms"
    assert table["first_p50"]["verdict"] == "event 2.5x faster" and table["first_p50"]["better"] == "event"


def test_within_ten_percent_is_about_the_same_and_no_data_has_no_verdict():
    table = by_key(numbers("event", first_ms=[100.0]), numbers("command", first_ms=[105.0]))
    assert table["first_p50"]["verdict"] == "about the same" and table["first_p50"]["better"] is None
    table = by_key(numbers("event"), numbers("command"))
    assert table["all_p99"]["event"] == "—" and table["all_p99"]["verdict"] == "—"


def test_cost_rows_say_how_many_fewer_per_order():
    table = by_key(numbers("event", messages=63), numbers("command", messages=89))
    assert table["messages"]["event"] == "6.3" and table["messages"]["command"] == "8.9"
    assert table["messages"]["verdict"] == "event: 2.6 fewer per order"


def test_failures_told_go_to_the_style_that_told_and_say_how_soon():
    event = numbers("event", failed_attempts=9, all_ms=sorted([200.0] * 9 + [61_000.0]))
    command = numbers("command", failed_attempts=14, told=14, told_orders=6, told_after_ms=[300.0, 1_900.0])
    table = by_key(event, command)
    assert table["told"]["event"] == "none: Orders hears only of success"
    assert table["told"]["command"] == "14 in 6 orders, within 1.9 s"
    assert table["told"]["verdict"] == "command: 14 more" and table["told"]["better"] == "command"
    said = findings("Vendors down 60 s", event, command, rows(event, command))
    assert said[0] == (
        "Vendors down 60 s: command style told Orders of 14 failures in 6 orders, within 1.9 s of payment; "
        "event style told it of none, and the last vendor learned of its order 61 s after payment."
    )


def test_cancellations_losses_and_an_operators_work_are_said_as_counted():
    event = numbers("event", cancelled=3, cancel_reasons={"vendor timeout": 3}, dead_letters=2, stuck=1)
    command = numbers("command", cancelled=4, cancel_reasons={"vendor timeout": 3, "notification failed": 1}, lost=1)
    table = by_key(event, command)
    assert table["cancelled"]["event"] == "3 (3 vendor timeout)"
    assert table["cancelled"]["command"] == "4 (3 vendor timeout, 1 notification failed)"
    assert table["lost"]["verdict"] == "event: 1 fewer"
    assert operator_work(event) == "retry or archive 2 dead letters, look into 1 order still waiting"
    assert operator_work(command) == "look into 1 order still waiting"
    said = findings("Baseline", event, command, rows(event, command))
    assert "Lost: command style lost 1." in said
    assert (
        "Cancelled: event style 3 (3 vendor timeout); command style 4 (3 vendor timeout, 1 notification failed)."
        in said
    )


def test_a_quiet_run_says_nothing_failed_and_nothing_was_lost():
    event, command = numbers("event"), numbers("command")
    said = findings("Baseline", event, command, rows(event, command))
    assert said[0] == "Baseline: no attempt failed, so neither style had a failure to tell Orders of."
    assert "No order was lost in either style." in said
    assert "An operator had nothing to do in either style." in said
    assert "Payment to every vendor notified, p95: event —, command — (—)." in said
