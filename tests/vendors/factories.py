"""Test data for the vendors context (factory-boy, real rows).

``ProductFactory`` writes the row directly: a test that needs the product
events lists the product with ``vendors.services.product_list`` instead.
"""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils.text import slugify

from vendors.models import Product, Vendor


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery staple")
    is_staff = False


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Vendor {n}")
    slug = factory.LazyAttribute(lambda vendor: slugify(vendor.name))
    kind = Vendor.Kind.STORE
    active = True

    @factory.post_generation
    def staff(self, create, users, **kwargs):
        if create and users:
            self.staff.add(*users)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    vendor = factory.SubFactory(VendorFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    price = Decimal("2.50")
    stock = 10
    revision = 1
