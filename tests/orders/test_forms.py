from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.forms import CardForm, OrderForm, luhn_valid
from orders.models import CatalogProduct

APPLES = CatalogProduct(product_id=1, vendor_id=10, vendor_name="Fresh Market", name="Apples", price=Decimal("2.50"))
BREAD = CatalogProduct(product_id=2, vendor_id=10, vendor_name="Fresh Market", name="Bread", price=Decimal("3.00"))
LAMP = CatalogProduct(product_id=3, vendor_id=20, vendor_name="Home Store", name="Lamp", price=Decimal("40.00"))
CATALOG = [APPLES, BREAD, LAMP]


def order_data(**overrides):
    data = {"customer_name": "Ada Lovelace", "customer_email": "ada@example.com", "quantity_1": "2", "price_1": "2.50"}
    return {**data, **overrides}


def order_form(**overrides):
    return OrderForm(order_data(**overrides), products=CATALOG)


class TestOrderForm:
    def test_a_filled_in_order_yields_its_lines_and_the_prices_the_customer_saw(self):
        form = order_form(quantity_3="1", price_3="40.00")

        assert form.is_valid(), form.errors
        assert form.line_quantities() == {1: 2, 3: 1}
        assert form.expected_prices() == {1: Decimal("2.50"), 3: Decimal("40.00")}

    def test_a_blank_quantity_counts_as_zero_and_makes_no_line(self):
        form = order_form(quantity_2="", quantity_3="0")

        assert form.is_valid(), form.errors
        assert form.line_quantities() == {1: 2}

    def test_an_order_without_any_quantity_is_empty(self):
        form = order_form(quantity_1="0")

        assert not form.is_valid()
        assert form.non_field_errors() == ["Your order is empty: choose a quantity of at least one product."]

    @pytest.mark.parametrize(
        ("quantity", "message"),
        [
            ("-1", "Quantity of Apples: enter 0 or more."),
            ("100", "Quantity of Apples: at most 99 per order."),
            ("99999999999999999999", "Quantity of Apples: at most 99 per order."),
            ("two", "Quantity of Apples: enter a whole number."),
            ("1.5", "Quantity of Apples: enter a whole number."),
        ],
    )
    def test_a_bad_quantity_is_refused_with_the_products_name(self, quantity, message):
        form = order_form(quantity_1=quantity)

        assert not form.is_valid()
        assert form.errors["quantity_1"] == [message]
        assert message in form.error_summary()

    def test_a_posted_product_that_left_the_catalog_becomes_a_line_for_the_service_to_refuse(self):
        form = order_form(quantity_999="1", price_999="1.00")

        assert form.is_valid(), form.errors
        assert form.line_quantities() == {1: 2, 999: 1}

    def test_a_posted_unknown_product_with_a_bad_quantity_is_refused_here(self):
        form = order_form(quantity_999="lots")

        assert not form.is_valid()
        assert form.errors["quantity_999"] == ["Quantity of product #999: enter a whole number."]

    def test_a_malformed_expected_price_is_refused(self):
        form = order_form(price_1="cheap")

        assert not form.is_valid()
        assert "price_1" in form.errors

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("customer_name", "x" * 101, "Ensure this value has at most 100 characters (it has 101)."),
            ("customer_name", "", "This field is required."),
            ("customer_email", "not-an-email", "Enter a valid email address."),
            (
                "customer_email",
                "a" * 250 + "@example.com",
                "Ensure this value has at most 254 characters (it has 262).",
            ),
        ],
    )
    def test_bad_customer_details_are_refused(self, field, value, message):
        form = order_form(**{field: value})

        assert not form.is_valid()
        assert message in form.errors[field]

    def test_products_are_grouped_by_vendor_in_catalog_order(self):
        form = OrderForm(products=CATALOG)

        groups = [(vendor, [product.name for product, _ in rows]) for vendor, rows in form.vendor_rows()]

        assert groups == [("Fresh Market", ["Apples", "Bread"]), ("Home Store", ["Lamp"])]

    def test_the_unbound_form_carries_each_products_current_price(self):
        form = OrderForm(products=CATALOG)

        assert form["price_3"].value() == Decimal("40.00")


def card_data(**overrides):
    next_year = timezone.localdate().year % 100 + 1
    return {"number": "4242 4242 4242 4242", "expiry": f"12/{next_year:02d}", "cvc": "123", "name": "Ada", **overrides}


class TestCardForm:
    @pytest.mark.parametrize("number", ["4242 4242 4242 4242", "4000000000000002", "4000 0000 0000 0119"])
    def test_the_test_cards_are_well_formed_and_reach_the_gateway_as_digits(self, number):
        form = CardForm(card_data(number=number))

        assert form.is_valid(), form.errors
        assert form.cleaned_data["number"] == number.replace(" ", "")

    @pytest.mark.parametrize(
        ("number", "message"),
        [
            ("4242-4242-4242-4242", "A card number has only digits and spaces."),
            ("4242 4242 42", "A card number has 12 to 19 digits."),
            ("4" * 20, "A card number has 12 to 19 digits."),
            ("4242 4242 4242 4241", "This card number is mistyped (its check digit does not match)."),
            ("", "This field is required."),
        ],
    )
    def test_a_malformed_card_number_is_refused(self, number, message):
        form = CardForm(card_data(number=number))

        assert not form.is_valid()
        assert form.errors["number"] == [message]

    def test_an_expiry_this_month_is_still_valid(self):
        today = timezone.localdate()

        form = CardForm(card_data(expiry=today.strftime("%m/%y")))

        assert form.is_valid(), form.errors

    def test_an_expiry_last_month_has_expired(self):
        today = timezone.localdate()
        last_month = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)

        form = CardForm(card_data(expiry=last_month.strftime("%m/%y")))

        assert form.errors["expiry"] == ["This card has expired."]

    @pytest.mark.parametrize("expiry", ["13/30", "00/30", "1/30", "12-30", "12/2030", "soon"])
    def test_an_expiry_not_in_mm_yy_form_is_refused(self, expiry):
        form = CardForm(card_data(expiry=expiry))

        assert form.errors["expiry"] == ["Enter the expiry as MM/YY, for example 04/30."]

    @pytest.mark.parametrize("cvc", ["12", "12345", "abc", "1 2 3"])
    def test_a_cvc_must_be_3_or_4_digits(self, cvc):
        form = CardForm(card_data(cvc=cvc))

        assert form.errors["cvc"] == ["The CVC is the 3 or 4 digits on the back of the card."]

    def test_the_name_on_the_card_is_at_most_100_characters(self):
        form = CardForm(card_data(name="x" * 101))

        assert form.errors["name"] == ["Ensure this value has at most 100 characters (it has 101)."]


@pytest.mark.parametrize(
    ("digits", "valid"), [("4242424242424242", True), ("79927398713", True), ("79927398710", False), ("0", True)]
)
def test_the_luhn_check_accepts_only_numbers_with_a_matching_check_digit(digits, valid):
    assert luhn_valid(digits) is valid
