import pytest


@pytest.mark.django_db
def test_the_home_page_is_the_storefront(client):
    response = client.get("/")

    assert response.status_code == 200
    assert "orders/storefront.html" in [template.name for template in response.templates]


def test_a_request_id_is_returned_on_every_response(client, db):
    response = client.get("/", HTTP_X_REQUEST_ID="req-12345678")

    assert response["X-Request-ID"] == "req-12345678"
