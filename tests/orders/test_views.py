"""The storefront and placing an order through it: every bad input is shown and changes nothing."""

import re
import uuid
from decimal import Decimal

import pytest
from django.test import Client

from orders.models import CatalogProduct, Order, OrderLine

pytestmark = pytest.mark.django_db


def listed(product_id, name, vendor_id, vendor_name, price, stock=10, lab=False):
    return CatalogProduct.objects.create(
        product_id=product_id,
        vendor_id=vendor_id,
        vendor_name=vendor_name,
        name=name,
        price=Decimal(price),
        stock=stock,
        revision=1,
        lab=lab,
    )


@pytest.fixture
def catalog():
    return [
        listed(1, "Apples", 10, "Fresh Market", "2.50", stock=3),
        listed(2, "Bread", 10, "Fresh Market", "3.00"),
        listed(3, "Desk lamp", 20, "Home Store", "40.00"),
    ]


def order_post(**overrides):
    data = {"customer_name": "Ada Lovelace", "customer_email": "ada@example.com", "quantity_1": "2", "price_1": "2.50"}
    return {**data, **overrides}


def order_rows():
    return Order.objects.count(), OrderLine.objects.count()


class TestStorefront:
    def test_lists_each_vendors_products_under_the_vendors_heading_with_price_and_stock(self, client, catalog):
        response = client.get("/")

        page = response.content.decode()
        assert response.status_code == 200
        market, store = page.index('<h2 id="vendor-1">Fresh Market</h2>'), page.index(">Home Store</h2>")
        assert market < page.index("Apples") < page.index("Bread") < store < page.index("Desk lamp")
        assert '<label for="id_quantity_1"><span class="sr-only">Quantity of </span>Apples</label>' in page
        assert re.search(
            r'Apples</label></th>\s*<td class="num" data-price="2.50">€2.50</td>\s*<td class="num">3</td>', page
        )
        assert 'name="quantity_3"' in page and 'name="price_3" value="40.00"' in page

    def test_labels_every_input(self, client, catalog):
        page = client.get("/").content.decode()

        for input_id in re.findall(r'<input type="(?:number|text|email)"[^>]* id="([^"]+)"', page):
            assert f'for="{input_id}"' in page

    def test_says_so_when_the_catalog_is_empty(self, client):
        response = client.get("/")

        assert "No products yet" in response.content.decode()

    def test_refuses_a_post(self, client, catalog):
        assert client.post("/").status_code == 405


class TestTheStorefrontForTheCustomer:
    def test_a_sold_out_product_says_so_and_its_quantity_cannot_be_entered(self, client, catalog):
        CatalogProduct.objects.filter(product_id=2).update(stock=0)

        page = client.get("/").content.decode()

        row = re.search(r'<tr class="sold-out">.*?</tr>', page, re.S)[0]
        assert "Bread" in row and '<span class="badge cancelled">Sold out</span>' in row
        assert re.search(r'<input type="number" name="quantity_2"[^>]* disabled', row)

    def test_a_sold_out_product_posted_from_an_older_page_is_refused_not_dropped(self, client, catalog):
        CatalogProduct.objects.filter(product_id=1).update(stock=0)

        response = client.post("/orders/", order_post())

        assert response.status_code == 400
        assert "Apples is out of stock." in response.content.decode()
        assert order_rows() == (0, 0)

    def test_a_quantity_over_the_stock_marks_its_field(self, client, catalog):
        response = client.post("/orders/", order_post(quantity_1="4", quantity_2="1", price_2="3.00"))

        page = response.content.decode()
        row = re.search(r'<tr class="invalid">.*?</tr>', page, re.S)[0]
        assert "Apples" in row and "Only 3 of Apples left in stock." in row
        assert re.search(r'<input type="number" name="quantity_1" value="4"[^>]* aria-invalid="true"', row)
        assert '<ul class="messages"' not in page  # in the form's summary and at its field, not a third time

    def test_the_form_shows_the_total_of_its_quantities_with_the_currency(self, client, catalog):
        assert '<strong id="running-total" data-format="€0.00">€0.00</strong>' in client.get("/").content.decode()

        page = client.post("/orders/", order_post(quantity_1="4", quantity_3="1")).content.decode()

        assert '<strong id="running-total" data-format="€0.00">€50.00</strong>' in page
        assert 'src="/static/orders/running_total.js"' in page


class TestPlacingAnOrder:
    def test_redirects_to_the_orders_page_at_an_unguessable_address(self, client, catalog):
        response = client.post("/orders/", order_post(quantity_3="1", price_3="40.00"))

        order = Order.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/orders/{order.id}/"
        assert uuid.UUID(response["Location"].split("/")[2]).version == 4
        assert order.total == Decimal("45.00")
        assert sorted(order.lines.values_list("name", "quantity")) == [("Apples", 2), ("Desk lamp", 1)]

    def test_the_order_page_shows_the_lines_the_total_and_the_status(self, client, catalog):
        response = client.post("/orders/", order_post(quantity_3="1", price_3="40.00"), follow=True)

        page = response.content.decode()
        assert "Apples" in page and "Desk lamp" in page
        assert '<td class="num" id="order-total">€45.00</td>' in page
        assert 'id="order-status">Placed<' in page

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"quantity_999": "1"}, "Product 999 is not in the catalog (any more)."),
            ({"quantity_1": "0"}, "Your order is empty: choose a quantity of at least one product."),
            ({"quantity_1": ""}, "Your order is empty: choose a quantity of at least one product."),
            ({"quantity_1": "-2"}, "Quantity of Apples: enter 0 or more."),
            ({"quantity_1": "100"}, "Quantity of Apples: at most 99 per order."),
            ({"quantity_1": "1" * 30}, "Quantity of Apples: at most 99 per order."),
            ({"quantity_1": "a few"}, "Quantity of Apples: enter a whole number."),
            ({"quantity_1": "4"}, "Only 3 of Apples left in stock."),
            ({"customer_name": "x" * 101}, "Ensure this value has at most 100 characters (it has 101)."),
            ({"customer_name": "  "}, "This field is required."),
            ({"customer_email": "ada@"}, "Enter a valid email address."),
            ({"customer_email": "a" * 243 + "@example.com"}, "Ensure this value has at most 254 characters"),
        ],
    )
    def test_bad_input_is_shown_with_a_clear_message_and_places_nothing(self, client, catalog, changes, message):
        response = client.post("/orders/", order_post(**changes))

        assert response.status_code == 400
        assert message in response.content.decode()
        assert order_rows() == (0, 0)

    def test_the_customers_input_is_kept_when_refused(self, client, catalog):
        response = client.post("/orders/", order_post(customer_email="ada@", quantity_2="5"))

        page = response.content.decode()
        assert 'value="Ada Lovelace"' in page and 'value="ada@"' in page
        assert re.search(r'name="quantity_2" value="5"', page)

    def test_a_price_changed_since_the_page_was_shown_is_refused_and_the_page_shows_the_new_price(
        self, client, catalog
    ):
        response = client.post("/orders/", order_post(price_1="2.00"))

        page = response.content.decode()
        assert response.status_code == 400
        assert "The price of Apples changed from 2.00 to 2.50." in page
        assert 'name="price_1" value="2.50"' in page
        assert re.search(r'name="quantity_1" value="2"', page)
        assert order_rows() == (0, 0)

    def test_ordering_again_from_the_refreshed_page_places_the_order_at_the_new_price(self, client, catalog):
        client.post("/orders/", order_post(price_1="2.00"))

        response = client.post("/orders/", order_post(price_1="2.50"))

        assert response.status_code == 302
        assert Order.objects.get().total == Decimal("5.00")

    def test_a_missing_csrf_token_is_forbidden_and_places_nothing(self, catalog):
        client = Client(enforce_csrf_checks=True)

        response = client.post("/orders/", order_post())

        assert response.status_code == 403
        assert order_rows() == (0, 0)

    def test_the_storefronts_form_carries_a_csrf_token_that_works(self, catalog):
        client = Client(enforce_csrf_checks=True)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get("/").content.decode())[1]

        response = client.post("/orders/", order_post(csrfmiddlewaretoken=token))

        assert response.status_code == 302
        assert order_rows() == (1, 1)

    def test_a_get_goes_back_to_the_storefront(self, client):
        assert client.get("/orders/")["Location"] == "/"


@pytest.fixture
def lab_product():
    """A product of the trade-off lab's vendor, in the catalog beside the shop's."""
    return listed(4, "Lab product A1", 30, "Lab vendor A", "2.00", stock=9, lab=True)


def test_the_storefront_never_offers_the_trade_off_labs_products(client, catalog, lab_product):
    page = client.get("/").content.decode()

    assert "Lab vendor A" not in page and "Lab product A1" not in page
    assert 'name="quantity_4"' not in page
    assert "Desk lamp" in page


def test_a_lab_product_posted_to_the_storefront_places_nothing(client, catalog, lab_product):
    response = client.post("/orders/", order_post(quantity_1="", quantity_4="1", price_4="2.00"))

    assert response.status_code == 400
    assert order_rows() == (0, 0)
