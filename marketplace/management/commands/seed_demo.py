"""``manage.py seed_demo``: demo vendors, products and accounts; running it again changes nothing.

Vendors and products are created through ``vendors.services``, so each
product's ``ProductListed`` reaches Orders' catalog by events, as in
production, once the workers run. Accounts: a staff superuser ``admin`` and
one user per vendor (username = the vendor's slug, on the vendor's staff).
Their password is ``DJANGO_SUPERUSER_PASSWORD`` if set, otherwise generated
and printed once; an account that already exists keeps its password.

The store's vendor timeout is set to an hour (``DEMO_VENDOR_TIMEOUT``) when staff have not saved store settings
yet: the production default of five minutes cancels a demo order while its visitor is still finding the vendor
portal. Settings staff saved are left as they are.

``--restock`` brings each demo product that sold below its demo stock back up to it (a ``ProductStockChanged``
each, so the storefront follows once the workers run): after ``simulate_orders`` has sold the shop out.

The group ``operators`` (``marketplace.operators``) gets the dashboard controls'
permissions and ``admin`` joins it: other staff are made operators by joining it
too. Permissions an administrator added to the group by hand are left alone.
"""

import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from marketplace import operators
from marketplace.management.demo_data import VENDORS, DemoVendor
from messaging import controls
from orders.services.settings import store_settings, store_settings_update
from vendors import selectors, services

ADMIN_USERNAME = "admin"
PASSWORD_VARIABLE = "DJANGO_SUPERUSER_PASSWORD"
DEMO_VENDOR_TIMEOUT = 3600  # seconds: time to accept an order by hand in the vendor portal


class Command(BaseCommand):
    help = "Create demo vendors, products, a staff superuser, vendor users and the operators group (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--restock", action="store_true", help="Bring demo products that sold below their demo stock back up."
        )

    def handle(self, *args, restock: bool = False, **options):
        self.created: list[str] = []
        self.secrets: list[str] = []
        with transaction.atomic():  # the products' events go out on commit, all or nothing
            vendors = [self.seed_vendor(demo) for demo in VENDORS]
            if restock:
                for demo, vendor in zip(VENDORS, vendors, strict=True):
                    self.restock(demo, vendor)
            self.seed_store_settings()
            self.seed_user(ADMIN_USERNAME, staff_of=None)
            self.seed_operators(ADMIN_USERNAME)
            for vendor in vendors:
                self.seed_user(vendor.slug, staff_of=vendor)
        self.report()

    def seed_vendor(self, demo: DemoVendor):
        vendor = selectors.vendor_find(slug=demo.slug, name=demo.name)
        if vendor is None:
            vendor = services.vendor_create(name=demo.name, slug=demo.slug, kind=demo.kind)
            self.created.append(f"vendor {vendor.name} ({vendor.kind})")
        listed = selectors.product_names(vendor=vendor)
        for product in demo.products:
            if product.name not in listed:
                services.product_list(
                    vendor=vendor, product_name=product.name, price=product.price, stock=product.stock
                )
                self.created.append(f"product {product.name} at {vendor.name}")
        return vendor

    def restock(self, demo: DemoVendor, vendor) -> None:
        stock = selectors.product_stock(vendor=vendor)
        for product in demo.products:
            product_id, now = stock[product.name]
            if now < product.stock:
                services.product_change_stock(product_id=product_id, stock=product.stock)
                self.created.append(f"stock of {product.name} at {vendor.name}: {now} → {product.stock}")

    def seed_store_settings(self) -> None:
        if store_settings().pk is None:  # nobody saved any: the model's defaults are in force
            store_settings_update(vendor_timeout_seconds=DEMO_VENDOR_TIMEOUT, actor=controls.cli_actor())
            self.created.append(f"store settings: vendors have {DEMO_VENDOR_TIMEOUT // 60} minutes to accept an order")

    def seed_user(self, username: str, *, staff_of=None) -> None:
        """The account, on ``staff_of``'s staff when that vendor is given; a superuser otherwise."""
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            password = self.password_for(username)
            if staff_of is None:
                user = User.objects.create_superuser(username=username, email="", password=password)
                self.created.append(f"staff superuser {username}")
            else:
                user = User.objects.create_user(username=username, password=password)
                self.created.append(f"vendor user {username}")
        if staff_of is not None and services.vendor_staff_add(vendor=staff_of, user=user):
            self.created.append(f"{username} on the staff of {staff_of.name}")

    def seed_operators(self, username: str) -> None:
        try:
            permissions = operators.group_permissions()
        except LookupError as error:
            raise CommandError(str(error)) from error
        group, created = Group.objects.get_or_create(name=operators.GROUP)
        if created:
            self.created.append(f"group {operators.GROUP}")
        missing = set(permissions) - set(group.permissions.all())
        if missing:
            group.permissions.add(*missing)
            names = ", ".join(sorted(f"{p.content_type.app_label}.{p.codename}" for p in missing))
            self.created.append(f"permissions of the {operators.GROUP} group: {names}")
        member = get_user_model().objects.get(username=username)
        if not member.groups.filter(pk=group.pk).exists():
            member.groups.add(group)
            self.created.append(f"{username} in the {operators.GROUP} group")

    def password_for(self, username: str) -> str:
        if password := os.environ.get(PASSWORD_VARIABLE):
            return password
        password = secrets.token_urlsafe(12)
        self.secrets.append(f"  {username:<20} {password}")
        return password

    def report(self) -> None:
        if not self.created:
            self.stdout.write("Nothing to do: the demo data is already there.")
            return
        self.stdout.write(self.style.SUCCESS("Demo data created:"))
        for line in self.created:
            self.stdout.write(f"  {line}")
        if self.secrets:
            self.stdout.write(self.style.WARNING("Generated passwords (shown once only, note them now):"))
            for line in self.secrets:
                self.stdout.write(line)
        elif any("user" in line for line in self.created):
            self.stdout.write(f"New accounts use the password in {PASSWORD_VARIABLE}.")
        if any("user" in line for line in self.created):
            self.stdout.write(f"Staff log in at /admin/ as {ADMIN_USERNAME}; vendor users at /vendors/ as their slug.")
        self.stdout.write("The products reach the storefront once the workers run (make run starts them).")
