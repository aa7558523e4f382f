"""404 and 405 answer in the site's look, also under DEBUG for the site's own views; GET /orders/ goes home."""

import uuid

import pytest
from django.test import override_settings

from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db


def test_opening_the_order_forms_address_goes_to_the_storefront(client):
    response = client.get("/orders/")

    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("debug", [False, True])
def test_an_unknown_order_shows_the_sites_not_found_page(client, debug):
    with override_settings(DEBUG=debug):
        response = client.get(f"/orders/{uuid.uuid4()}/")

    page = response.content.decode()
    assert response.status_code == 404
    assert '<header class="site">' in page and "<h1>Not found</h1>" in page
    assert "No such order." in page
    assert "Back to the storefront" in page


def test_reloading_a_refused_payment_or_confirmation_goes_back_to_the_order_page(client):
    order = OrderFactory()

    for action in ("pay", "confirm"):
        assert client.get(f"/orders/{order.pk}/{action}/")["Location"] == f"/orders/{order.pk}/"


@pytest.mark.parametrize("debug", [False, True])
def test_a_get_to_a_form_only_address_shows_the_sites_not_allowed_page(client, debug):
    with override_settings(DEBUG=debug):
        response = client.get("/accounts/logout/")

    page = response.content.decode()
    assert response.status_code == 405
    assert "POST" in response["Allow"]
    assert response["Content-Type"].startswith("text/html")
    assert '<header class="site">' in page and "Not available this way" in page
    assert "only POST" in page


def test_an_unknown_url_without_debug_shows_the_sites_not_found_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.content.decode()
