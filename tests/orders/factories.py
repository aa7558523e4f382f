"""Test data for the orders context (factory-boy, real rows).

``CatalogProductFactory`` writes Orders' read model directly, as if the vendor's
events had arrived; ``paid_order`` builds an order as ``order_pay`` leaves it.
"""

from decimal import Decimal

import factory

from orders.models import CatalogProduct, Order, OrderLine, OrderVendor, Payment, StoreSettings


class CatalogProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CatalogProduct

    product_id = factory.Sequence(lambda n: 1000 + n)
    vendor_id = 1
    vendor_name = factory.LazyAttribute(lambda product: f"Vendor {product.vendor_id}")
    name = factory.Sequence(lambda n: f"Product {n}")
    price = Decimal("2.50")
    stock = 10
    revision = 1


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    customer_name = factory.Sequence(lambda n: f"Customer {n}")
    customer_email = factory.LazyAttribute(lambda order: f"{order.customer_name.lower().replace(' ', '')}@example.com")
    status = Order.Status.PLACED
    total = Decimal("0.00")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product_id = factory.Sequence(lambda n: 1000 + n)
    vendor_id = 1
    vendor_name = factory.LazyAttribute(lambda line: f"Vendor {line.vendor_id}")
    name = factory.Sequence(lambda n: f"Product {n}")
    unit_price = Decimal("2.50")
    quantity = 1


class OrderVendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderVendor

    order = factory.SubFactory(OrderFactory)
    vendor_id = 1
    vendor_name = factory.LazyAttribute(lambda row: f"Vendor {row.vendor_id}")
    status = OrderVendor.Status.WAITING


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    order = factory.SubFactory(OrderFactory)
    amount = factory.LazyAttribute(lambda payment: payment.order.total)
    card_last4 = "4242"
    status = Payment.Status.SUCCEEDED
    reference = factory.Sequence(lambda n: f"ch_test{n:020d}")


class StoreSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoreSettings

    style = StoreSettings.Style.EVENT
    vendor_timeout_seconds = 300


def paid_order(*vendor_statuses: str, status: str = Order.Status.PAID, style: str = "event") -> Order:
    """An order with one line and one OrderVendor per given vendor status (vendor ids 1, 2, ...),
    paid with a successful charge, in ``status``."""
    statuses = vendor_statuses or (OrderVendor.Status.WAITING,)
    order = OrderFactory(status=status, style=style, total=Decimal("2.50") * len(statuses))
    for vendor_id, vendor_status in enumerate(statuses, start=1):
        OrderLineFactory(order=order, vendor_id=vendor_id)
        OrderVendorFactory(order=order, vendor_id=vendor_id, status=vendor_status)
    PaymentFactory(order=order)
    return order
