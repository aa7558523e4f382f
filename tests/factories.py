"""Test data for the contexts' own tables (factory-boy, real rows)."""

import factory

from orders.models import Order
from vendors.models import Vendor


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Vendor {n}")
    active = True


class OrderFactory(factory.django.DjangoModelFactory):
    """A placed order for one real vendor, unless ``vendor_ids`` says otherwise."""

    class Meta:
        model = Order

    customer_name = factory.Sequence(lambda n: f"Customer {n}")
    vendor_ids = factory.LazyFunction(lambda: [VendorFactory().pk])
    status = Order.Status.PLACED
