from decimal import Decimal

import pytest

import messaging
from messaging.models import Delivery, DeliveryStatus
from orders.contracts import OrderPaid, PaidLine
from orders.services.payment import order_pay
from orders.services.placing import LineRequest, order_place
from tests.orders.factories import CatalogProductFactory, StoreSettingsFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    apples = CatalogProductFactory(name="Apples", vendor_name="Green Grocer", price=Decimal("1.20"))
    return order_place(
        customer_name="Ada Lovelace", customer_email="ada@example.com", lines=[LineRequest(apples.product_id, 3)]
    )


@pytest.mark.parametrize("style", ["event", "command"])
def test_the_customer_gets_a_receipt_once_the_order_is_paid_in_either_style(
    style, order, vendors_paused, run_deliveries, mailoutbox
):
    # given the store's style
    StoreSettingsFactory(style=style)
    # when the order is paid and the messages delivered
    order_pay(order_id=order.pk, card_number="4242424242424242")
    run_deliveries()
    # then one e-mail went to the customer, listing what was paid for
    (receipt,) = mailoutbox
    assert receipt.to == ["ada@example.com"]
    assert receipt.subject == f"Your order {str(order.pk)[:8]} is paid"
    assert "Hello Ada Lovelace," in receipt.body
    assert "3 x Apples (Green Grocer)  €3.60" in receipt.body
    assert "Total: €3.60" in receipt.body


def test_the_receipt_links_the_order_page_at_the_sites_address(
    order, vendors_paused, run_deliveries, mailoutbox, settings
):
    settings.SITE_URL = "https://shop.example.com"

    order_pay(order_id=order.pk, card_number="4242424242424242")
    run_deliveries()

    (receipt,) = mailoutbox
    assert f"https://shop.example.com/orders/{order.pk}/" in receipt.body.splitlines()


def test_an_order_of_the_trade_off_lab_gets_no_receipt(vendors_paused, run_deliveries, mailoutbox):
    lab_apples = CatalogProductFactory(name="Lab apples", lab=True)
    order = order_place(
        customer_name="Lab customer 1",
        customer_email="lab-customer-1@example.com",
        lines=[LineRequest(lab_apples.product_id, 1)],
        experiment="lab-1:baseline:event",
    )
    order_pay(order_id=order.pk, card_number="4242424242424242")
    run_deliveries()

    assert mailoutbox == []
    assert Delivery.objects.get(handler="orders.receipt_email").status == DeliveryStatus.SUCCEEDED


def test_no_receipt_before_payment(order, run_deliveries, mailoutbox):
    order_pay(order_id=order.pk, card_number="4000000000000002")  # declined
    run_deliveries()
    assert mailoutbox == []


def test_a_receipt_for_an_unknown_order_is_dead_lettered_not_sent(vendors_paused, run_deliveries, mailoutbox):
    messaging.publish(
        OrderPaid(
            order_id="00000000-0000-4000-8000-000000000000",
            total="1.00",
            customer_email="who@example.com",
            style="event",
            lines=[PaidLine(vendor_id=1, product_id=1, quantity=1)],
        )
    )
    run_deliveries()
    assert mailoutbox == []
    assert Delivery.objects.get(handler="orders.receipt_email").status == DeliveryStatus.DEAD
