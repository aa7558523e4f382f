"""``manage.py simulate_orders``: traffic through the storefront's own services, with a summary; bad input refused."""

import os
import random
import subprocess
import sys
from collections import Counter
from io import StringIO
from time import monotonic

import pytest
from django.core.management import CommandError, call_command

from messaging.models import Message
from orders.management.commands.simulate_orders import SUCCEEDING_CARD, simulate_one, tally_reasons
from orders.models import CatalogProduct, Order, Payment, StoreSettings
from tests.orders.factories import CatalogProductFactory
from tests.processes import ROOT

pytestmark = pytest.mark.django_db

DECLINED_CARD = "4000000000000002"
PROCESSING_ERROR_CARD = "4000000000000119"


class FakeTerminal(StringIO):
    def isatty(self):
        return True


def simulate(*args: str, stderr=None) -> str:
    out = StringIO()
    call_command("simulate_orders", *args, stdout=out, stderr=stderr or StringIO())
    return out.getvalue()


@pytest.fixture
def catalog():
    """Four products from two vendors."""
    return [CatalogProductFactory(vendor_id=1 + i % 2) for i in range(4)]


def test_it_places_the_orders_with_random_lines_from_the_catalog_and_sums_up(catalog):
    output = simulate("--count", "5", "--seed", "1")

    orders = Order.objects.prefetch_related("lines")
    assert orders.count() == 5
    known = {product.product_id: product for product in catalog}
    for order in orders:
        assert order.status == Order.Status.PLACED
        assert 1 <= order.lines.count() <= 3
        for line in order.lines.all():
            assert line.product_id in known and 1 <= line.quantity <= 3
    assert not Payment.objects.exists()
    assert "placed 5, failed 0 in " in output
    assert "orders/s" in output


def test_with_pay_every_order_is_paid_and_published_once(catalog):
    output = simulate("--count", "4", "--pay")

    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.PAID}
    assert Payment.objects.filter(status=Payment.Status.SUCCEEDED).count() == 4
    assert Message.objects.filter(type="orders.OrderPaid").count() == 4
    assert "placed 4, paid 4, declined 0, failed 0 in " in output


@pytest.mark.parametrize(
    ("card", "summary", "reason"),
    [
        (DECLINED_CARD, "placed 3, paid 0, declined 3, failed 0", "3 x declined: your card was declined"),
        (PROCESSING_ERROR_CARD, "placed 3, paid 0, declined 0, failed 3", "3 x processing error, try again"),
    ],
    ids=["declined", "transient-failure"],
)  # fmt: skip
def test_a_refused_card_is_counted_with_its_reason_and_the_orders_stay_placed(catalog, card, summary, reason):
    output = simulate("--count", "3", "--pay", "--card", card)

    assert summary in output
    assert reason in output
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.PLACED}
    assert not Message.objects.filter(type="orders.OrderPaid").exists()


def test_the_style_is_used_for_the_runs_own_orders_and_the_stores_style_is_left_alone(catalog):
    StoreSettings.objects.create(style=StoreSettings.Style.EVENT)

    output = simulate("--count", "2", "--pay", "--style", "command")

    assert StoreSettings.objects.get().style == StoreSettings.Style.EVENT
    assert set(Order.objects.values_list("style", flat=True)) == {"command"}
    assert Message.objects.filter(type="vendors.NotifyVendor").exists()
    assert "This run's orders are paid in command style; the store's style stays event." in output


def test_a_sold_out_catalog_names_the_products_and_how_to_restock():
    CatalogProductFactory(name="Cordless drill", vendor_name="Corner Hardware Store", stock=0)
    CatalogProductFactory(name="Claw hammer", vendor_name="Corner Hardware Store", stock=0)

    with pytest.raises(CommandError) as refused:
        simulate("--count", "3")

    message = str(refused.value)
    assert "out of stock: Claw hammer (Corner Hardware Store), Cordless drill (Corner Hardware Store)" in message
    assert "python manage.py seed_demo --restock" in message
    assert not Order.objects.exists()


def test_an_order_after_the_stock_ran_out_in_mid_run_is_counted_as_out_of_stock_not_as_empty(catalog):
    # given the workers have carried the vendors' last reservations to the catalog while a run goes on
    CatalogProduct.objects.update(stock=0)
    tally = Counter()

    simulate_one(7, rng=random.Random(1), pay=True, card=SUCCEEDING_CARD, style=None, tally=tally)

    assert tally_reasons(tally) == Counter({"not placed: no product left in stock": 1})
    assert "Your order is empty" not in str(tally)
    assert not Order.objects.exists()


def test_the_same_seed_orders_the_same_lines():
    CatalogProductFactory.create_batch(6)

    def lines_of_a_run():
        Order.objects.all().delete()
        simulate("--count", "3", "--seed", "42")
        orders = Order.objects.order_by("created_at").prefetch_related("lines")
        return [sorted((line.product_id, line.quantity) for line in order.lines.all()) for order in orders]

    assert lines_of_a_run() == lines_of_a_run()


def test_a_line_never_asks_for_more_than_the_catalog_has():
    CatalogProductFactory(stock=1)
    CatalogProductFactory(stock=0)  # out of stock: never chosen

    output = simulate("--count", "5")

    assert "placed 5, failed 0" in output
    assert {(line.name, line.quantity) for order in Order.objects.all() for line in order.lines.all()} == {
        (CatalogProduct.objects.get(stock=1).name, 1)
    }


def test_a_rate_paces_the_orders(catalog):
    started = monotonic()

    simulate("--count", "3", "--rate", "10")  # at 0, 0.1 and 0.2 s

    assert monotonic() - started >= 0.2
    assert Order.objects.count() == 3


STYLE = ["--style", "command"]  # would change the settings, had the run started


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--count", "0", *STYLE], "--count must be at least 1 (got 0)."),
        (["--count", "-3", *STYLE], "--count must be at least 1 (got -3)."),
        (["--count", "100001", *STYLE], "--count is at most 100000 per run (got 100001)."),
        (["--count", "many", *STYLE], "argument --count: invalid int value: 'many'"),
        (["--count", "2", "--rate", "0", *STYLE], "--rate must be a positive number of orders per second (got 0.0)."),
        (["--count", "2", "--rate", "-1", *STYLE], "--rate must be a positive number of orders per second (got -1.0)."),
        (["--count", "2", "--rate", "inf", *STYLE], "--rate must be a positive number of orders per second (got inf)."),
        (["--count", "2", "--style", "carrier-pigeon"], "argument --style: invalid choice: 'carrier-pigeon'"),
        (["--count", "2", "--card", DECLINED_CARD, *STYLE], "--card is the card to pay with: add --pay."),
        (STYLE, "the following arguments are required: --count"),
    ],
    ids=["zero", "negative", "huge", "not-a-number", "rate-zero", "rate-negative", "rate-infinite", "unknown-style",
         "card-without-pay", "no-count"],
)  # fmt: skip
def test_bad_arguments_are_refused_with_a_clear_message_and_change_nothing(catalog, args, message):
    StoreSettings.objects.create(style=StoreSettings.Style.EVENT)

    with pytest.raises(CommandError) as refused:
        simulate(*args)

    assert message in str(refused.value)
    assert not Order.objects.exists()
    assert StoreSettings.objects.get().style == StoreSettings.Style.EVENT


def test_an_empty_catalog_says_to_seed_and_start_the_workers():
    with pytest.raises(CommandError) as refused:
        simulate("--count", "1", "--style", "command")

    assert "run seed_demo and start the workers first" in str(refused.value)
    assert not Order.objects.exists()
    assert not StoreSettings.objects.exists()


def test_a_bad_argument_exits_non_zero_from_the_shell():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "simulate_orders", "--count", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "CommandError: --count must be at least 1 (got 0)." in result.stderr


def test_a_progress_bar_is_drawn_on_a_terminal_and_ends_with_a_newline(catalog):
    terminal = FakeTerminal()

    simulate("--count", "3", stderr=terminal)

    drawn = terminal.getvalue()
    assert drawn.startswith("\r[")
    assert "] 3/3 placed 3, failed 0" in drawn
    assert drawn.endswith("\n")


def test_no_progress_bar_is_drawn_when_stderr_is_not_a_terminal(catalog):
    piped = StringIO()

    simulate("--count", "3", stderr=piped)

    assert piped.getvalue() == ""


def test_simulated_customers_never_order_the_trade_off_labs_products(catalog):
    lab_ids = {CatalogProductFactory(lab=True).product_id for _ in range(3)}

    simulate("--count", "10", "--seed", "3")

    ordered = set(Order.objects.values_list("lines__product_id", flat=True))
    assert ordered and not ordered & lab_ids
    assert not Order.objects.exclude(experiment="").exists()


def test_a_catalog_of_only_the_labs_products_is_empty_for_simulated_customers():
    CatalogProductFactory(name="Lab product A1", lab=True, stock=100)
    CatalogProductFactory(name="Lab product A2", lab=True, stock=0)

    with pytest.raises(CommandError) as refused:
        simulate("--count", "1")

    assert "The catalog is empty (no product in stock)" in str(refused.value)
    assert not Order.objects.exists()


def test_a_run_whose_shop_products_sold_out_is_not_placed_from_the_labs(catalog):
    CatalogProduct.objects.update(stock=0)
    CatalogProductFactory(lab=True, stock=100)
    tally = Counter()

    simulate_one(0, rng=random.Random(1), pay=False, card=SUCCEEDING_CARD, style=None, tally=tally)

    assert tally_reasons(tally) == Counter({"not placed: no product left in stock": 1})
    assert not Order.objects.exists()
