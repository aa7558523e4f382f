from decimal import Decimal

import pytest

from messaging.models import Message
from orders.models import Order, OrderLine
from orders.services.placing import LineRequest, OrderRejected, order_place
from tests.orders.factories import CatalogProductFactory

pytestmark = pytest.mark.django_db


def place(lines, **overrides):
    return order_place(
        customer_name=overrides.pop("customer_name", "Ada Lovelace"),
        customer_email=overrides.pop("customer_email", "ada@example.com"),
        lines=lines,
        **overrides,
    )


def test_an_order_snapshots_name_vendor_and_price_and_totals_its_lines():
    # given two products of two vendors
    apples = CatalogProductFactory(name="Apples", vendor_id=1, vendor_name="Green Grocer", price=Decimal("1.20"))
    tea = CatalogProductFactory(name="Tea", vendor_id=2, vendor_name="Corner Store", price=Decimal("3.05"))
    # when the customer orders 3 apples and 2 teas
    order = place([LineRequest(apples.product_id, 3), LineRequest(tea.product_id, 2)])
    # then the order is placed with both lines as sold, and their total
    assert order.status == Order.Status.PLACED
    assert order.total == Decimal("9.70")
    assert order.customer_name == "Ada Lovelace"
    lines = {line.name: line for line in order.lines.all()}
    assert (lines["Apples"].vendor_name, lines["Apples"].unit_price, lines["Apples"].quantity) == (
        "Green Grocer",
        Decimal("1.20"),
        3,
    )
    assert (lines["Tea"].vendor_id, lines["Tea"].subtotal) == (2, Decimal("6.10"))


def test_a_later_price_change_does_not_touch_the_placed_line():
    # given an order of a product
    apples = CatalogProductFactory(price=Decimal("1.20"))
    order = place([LineRequest(apples.product_id, 1)])
    # when the catalog's price changes
    apples.price = Decimal("9.99")
    apples.save()
    # then the line keeps the price it was sold at
    assert order.lines.get().unit_price == Decimal("1.20")


def test_placing_sends_no_message():
    # given a product
    product = CatalogProductFactory()
    # when an order is placed
    place([LineRequest(product.product_id, 1)])
    # then nothing is said to anyone yet
    assert not Message.objects.exists()


def test_the_price_the_customer_saw_is_accepted_when_unchanged():
    product = CatalogProductFactory(price=Decimal("2.50"))
    order = place([LineRequest(product.product_id, 2)], expected_prices={product.product_id: "2.50"})
    assert order.total == Decimal("5.00")


def test_spaces_around_name_and_email_are_dropped():
    product = CatalogProductFactory()
    order = place([LineRequest(product.product_id, 1)], customer_name="  Ada ", customer_email=" ada@example.com ")
    assert (order.customer_name, order.customer_email) == ("Ada", "ada@example.com")


@pytest.fixture
def product():
    return CatalogProductFactory(name="Apples", price=Decimal("1.20"), stock=5)


REJECTIONS = {
    "an empty order": (lambda p: {"lines": []}, "Your order is empty: choose at least one product."),
    "an unknown product": (lambda p: {"lines": [LineRequest(999_999, 1)]}, "Product 999999 is not in the catalog"),
    "a product id that is not a number": (
        lambda p: {"lines": [LineRequest("apples", 1)]},
        "Product apples is not in the catalog",
    ),
    "a zero quantity": (
        lambda p: {"lines": [LineRequest(p.product_id, 0)]},
        "The quantity of Apples must be a whole number from 1 to 99.",
    ),
    "a negative quantity": (
        lambda p: {"lines": [LineRequest(p.product_id, -3)]},
        "The quantity of Apples must be a whole number from 1 to 99.",
    ),
    "a non-numeric quantity": (
        lambda p: {"lines": [LineRequest(p.product_id, "3")]},
        "The quantity of Apples must be a whole number from 1 to 99.",
    ),
    "a huge quantity": (lambda p: {"lines": [LineRequest(p.product_id, 100)]}, "At most 99 of Apples per order."),
    "more than the stock": (lambda p: {"lines": [LineRequest(p.product_id, 6)]}, "Only 5 of Apples left in stock."),
    "a product listed twice": (
        lambda p: {"lines": [LineRequest(p.product_id, 1), LineRequest(p.product_id, 2)]},
        "Apples is listed twice: give one quantity.",
    ),
    "a stale price": (
        lambda p: {"lines": [LineRequest(p.product_id, 1)], "expected_prices": {p.product_id: Decimal("1.00")}},
        "The price of Apples changed from 1.00 to 1.20.",
    ),
    "an unreadable expected price": (
        lambda p: {"lines": [LineRequest(p.product_id, 1)], "expected_prices": {p.product_id: "cheap"}},
        "The price of Apples changed from cheap to 1.20.",
    ),
    "no name": (lambda p: {"lines": [LineRequest(p.product_id, 1)], "customer_name": "  "}, "Please give your name."),
    "an over-long name": (
        lambda p: {"lines": [LineRequest(p.product_id, 1)], "customer_name": "A" * 101},
        "Your name is too long: at most 100 characters.",
    ),
    "no e-mail": (
        lambda p: {"lines": [LineRequest(p.product_id, 1)], "customer_email": ""},
        "Please give your e-mail address.",
    ),
    "an invalid e-mail": (
        lambda p: {"lines": [LineRequest(p.product_id, 1)], "customer_email": "ada-at-example"},
        "'ada-at-example' is not a valid e-mail address.",
    ),
    "an over-long e-mail": (
        lambda p: {"lines": [LineRequest(p.product_id, 1)], "customer_email": "a" * 250 + "@example.com"},
        "Your e-mail address is too long: at most 254 characters.",
    ),
}


@pytest.mark.parametrize("case", REJECTIONS, ids=list(REJECTIONS))
def test_a_bad_order_is_rejected_with_a_clear_message_and_nothing_is_written(product, case):
    # given a product, and one thing wrong with the order
    make_arguments, message = REJECTIONS[case]
    # when the order is placed
    with pytest.raises(OrderRejected) as rejected:
        place(**make_arguments(product))
    # then the customer is told what is wrong, and no order exists
    assert any(error.startswith(message) for error in rejected.value.errors), rejected.value.errors
    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()


def test_an_out_of_stock_product_says_so(product):
    product.stock = 0
    product.save()
    with pytest.raises(OrderRejected) as rejected:
        place([LineRequest(product.product_id, 1)])
    assert rejected.value.errors == ["Apples is out of stock."]


def test_every_problem_is_reported_at_once(product):
    # given an order with a bad name, a bad e-mail and too many apples
    with pytest.raises(OrderRejected) as rejected:
        place([LineRequest(product.product_id, 6)], customer_name="", customer_email="nope")
    # then the three problems are listed together
    assert rejected.value.errors == [
        "Please give your name.",
        "'nope' is not a valid e-mail address.",
        "Only 5 of Apples left in stock.",
    ]
    assert str(rejected.value) == "; ".join(rejected.value.errors)


def test_one_bad_line_rejects_the_whole_order(product):
    # given a good line and an unknown product
    with pytest.raises(OrderRejected):
        place([LineRequest(product.product_id, 1), LineRequest(424_242, 1)])
    # then not even the good line is written
    assert not Order.objects.exists()


# The trade-off lab's orders


@pytest.fixture
def lab_product():
    return CatalogProductFactory(name="Lab product A1", vendor_id=7, vendor_name="Lab vendor A", lab=True)


def test_a_shop_order_of_a_lab_product_is_refused_as_not_in_the_catalog_and_nothing_is_written(product, lab_product):
    # given a shop's product and a lab's product in the catalog
    # when a customer orders both
    with pytest.raises(OrderRejected) as rejected:
        place([LineRequest(product.product_id, 1), LineRequest(lab_product.product_id, 1)])
    # then the lab's product is unknown to the shop, and nothing is written
    assert rejected.value.errors == [f"Product {lab_product.product_id} is not in the catalog (any more)."]
    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()


def test_an_order_of_the_lab_keeps_its_experiments_tag(lab_product):
    order = place([LineRequest(lab_product.product_id, 2)], experiment="run-2026-12-01-a")

    order.refresh_from_db()
    assert order.experiment == "run-2026-12-01-a"
    assert (order.total, order.lines.get().name) == (Decimal("5.00"), "Lab product A1")


def test_a_shop_order_has_no_experiment(product):
    assert place([LineRequest(product.product_id, 1)]).experiment == ""


def test_an_order_of_the_lab_may_not_hold_the_shops_products(product, lab_product):
    with pytest.raises(OrderRejected) as rejected:
        place([LineRequest(lab_product.product_id, 1), LineRequest(product.product_id, 1)], experiment="run-1")

    assert rejected.value.errors == [f"Product {product.product_id} is not in the catalog (any more)."]
    assert not Order.objects.exists()


def test_an_experiments_tag_longer_than_64_characters_is_refused(lab_product):
    with pytest.raises(ValueError, match="at most 64 characters"):
        place([LineRequest(lab_product.product_id, 1)], experiment="x" * 65)

    assert not Order.objects.exists()
    assert place([LineRequest(lab_product.product_id, 1)], experiment="x" * 64).experiment == "x" * 64
