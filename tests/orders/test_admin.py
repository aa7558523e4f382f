import pytest
from django.urls import reverse

from orders.models import Order
from orders.services import order_pay, order_place

CHANGELIST = reverse("admin:orders_order_changelist")


@pytest.fixture
def orders(db):
    placed = order_place(customer_name="Ada Lovelace", vendor_ids=[1])
    paid = order_pay(order_id=order_place(customer_name="Grace Hopper", vendor_ids=[1, 2]).pk)
    return {"placed": placed, "paid": paid}


def listed(response) -> set:
    return {order.pk for order in response.context["cl"].result_list}


def test_order_list_and_page_render(admin_client, orders):
    response = admin_client.get(CHANGELIST)
    page = admin_client.get(reverse("admin:orders_order_change", args=[orders["paid"].pk]))

    assert listed(response) == {orders["placed"].pk, orders["paid"].pk}
    assert page.status_code == 200
    assert "Grace Hopper" in page.content.decode()


@pytest.mark.parametrize(
    "term", [lambda o: str(o.pk), lambda o: str(o.pk)[:8], lambda o: "hopper"], ids=["id", "short id", "customer"]
)
def test_search_finds_an_order_by_id_or_customer(admin_client, orders, term):
    response = admin_client.get(CHANGELIST, {"q": term(orders["paid"])})

    assert listed(response) == {orders["paid"].pk}


def test_status_filter(admin_client, orders):
    response = admin_client.get(CHANGELIST, {"status__exact": Order.Status.PAID})

    assert listed(response) == {orders["paid"].pk}


def test_orders_are_not_edited_in_the_admin(admin_client, orders):
    order = orders["placed"]

    assert admin_client.get(reverse("admin:orders_order_add")).status_code == 403
    assert (
        admin_client.post(reverse("admin:orders_order_change", args=[order.pk]), {"status": "paid"}).status_code == 403
    )
    assert admin_client.post(reverse("admin:orders_order_delete", args=[order.pk]), {"post": "yes"}).status_code == 403
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED
