import pytest


@pytest.mark.django_db
def test_home_lists_every_message_type_with_its_handlers(client):
    response = client.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "orders.OrderPaid" in page
    assert "vendors.notify_vendors_of_paid_order" in page


def test_a_request_id_is_returned_on_every_response(client, db):
    response = client.get("/", HTTP_X_REQUEST_ID="req-12345678")

    assert response["X-Request-ID"] == "req-12345678"
