"""``manage.py seed_demo``: vendors and products through the services, accounts with no known password, the
operators group with the dashboard controls' permissions."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from marketplace import operators
from marketplace.management.demo_data import VENDORS
from messaging.models import Message
from orders.models import CatalogProduct, StoreSettings
from orders.services.settings import store_settings
from vendors import services as vendor_services
from vendors.models import Product, Vendor

pytestmark = pytest.mark.django_db

User = get_user_model()
DEMO_PRODUCTS = sum(len(vendor.products) for vendor in VENDORS)


def seed_demo(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def printed_passwords(output: str) -> dict[str, str]:
    block = output.split("Generated passwords", 1)[1] if "Generated passwords" in output else ""
    return dict(re.findall(r"^  (\S+) +(\S+)$", block, flags=re.MULTILINE))


@pytest.fixture
def no_password_variable(monkeypatch):
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)


def test_it_creates_supermarkets_and_stores_each_with_four_to_six_products(no_password_variable):
    seed_demo()

    vendors = Vendor.objects.all()
    assert 3 <= vendors.count() <= 4
    assert set(vendors.values_list("kind", flat=True)) == {Vendor.Kind.SUPERMARKET, Vendor.Kind.STORE}
    for vendor in vendors:
        assert 4 <= vendor.products.count() <= 6, vendor
    assert Product.objects.count() == DEMO_PRODUCTS


def test_the_products_reach_the_orders_catalog_by_events(no_password_variable, run_deliveries):
    seed_demo()
    assert Message.objects.filter(type="vendors.ProductListed").count() == DEMO_PRODUCTS
    assert not CatalogProduct.objects.exists()  # not until the workers run

    run_deliveries()

    listed = {(p.vendor.name, p.name, p.price, p.stock) for p in Product.objects.select_related("vendor")}
    catalog = set(CatalogProduct.objects.values_list("vendor_name", "name", "price", "stock"))
    assert catalog == listed


def test_a_staff_superuser_and_a_vendor_user_per_vendor_get_generated_passwords_printed_once(no_password_variable):
    output = seed_demo()

    passwords = printed_passwords(output)
    slugs = set(Vendor.objects.values_list("slug", flat=True))
    assert set(passwords) == {"admin", *slugs}
    assert len(set(passwords.values())) == len(passwords), "each account gets its own password"
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert admin.check_password(passwords["admin"])
    for vendor in Vendor.objects.all():
        user = User.objects.get(username=vendor.slug)
        assert not user.is_staff and not user.is_superuser
        assert list(vendor.staff.all()) == [user]
        assert user.check_password(passwords[vendor.slug])


def test_passwords_are_generated_afresh_on_every_fresh_database(no_password_variable):
    first = printed_passwords(seed_demo())["admin"]
    User.objects.all().delete()

    second = printed_passwords(seed_demo())["admin"]

    assert first != second
    assert len(second) >= 16


def test_the_password_comes_from_django_superuser_password_and_is_not_printed(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-password-from-the-environment")

    output = seed_demo()

    assert "a-password-from-the-environment" not in output
    assert "Generated passwords" not in output
    assert "DJANGO_SUPERUSER_PASSWORD" in output
    for username in ["admin", *Vendor.objects.values_list("slug", flat=True)]:
        assert User.objects.get(username=username).check_password("a-password-from-the-environment")


def test_running_it_again_changes_nothing_and_says_so(no_password_variable):
    first = seed_demo()
    password = printed_passwords(first)["admin"]
    counts = (Vendor.objects.count(), Product.objects.count(), User.objects.count(), Message.objects.count())

    second = seed_demo()

    assert second.strip() == "Nothing to do: the demo data is already there."
    assert (Vendor.objects.count(), Product.objects.count(), User.objects.count(), Message.objects.count()) == counts
    assert User.objects.get(username="admin").check_password(password)


def test_an_existing_admin_keeps_its_password_and_only_what_is_missing_is_added(no_password_variable):
    User.objects.create_superuser(username="admin", email="", password="chosen-by-the-operator")
    seed_demo()
    first = VENDORS[0]
    Product.objects.filter(vendor__slug=first.slug, name=first.products[-1].name).delete()
    Vendor.objects.get(slug=first.slug).staff.clear()

    output = seed_demo()

    assert User.objects.get(username="admin").check_password("chosen-by-the-operator")
    assert "Generated passwords" not in output
    assert f"product {first.products[-1].name} at {first.name}" in output
    assert f"{first.slug} on the staff of {first.name}" in output
    assert Product.objects.count() == DEMO_PRODUCTS
    assert Vendor.objects.get(slug=first.slug).staff.get().username == first.slug


def group_permission_names() -> set[str]:
    group = Group.objects.get(name=operators.GROUP)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_it_creates_the_operators_group_with_exactly_the_documented_permissions_and_adds_admin(
    no_password_variable,
):
    output = seed_demo()

    assert group_permission_names() == set(operators.GROUP_PERMISSIONS)
    assert {control.permission for control in operators.CONTROLS.values()} <= group_permission_names()
    admin = User.objects.get(username="admin")
    assert list(admin.groups.values_list("name", flat=True)) == [operators.GROUP]
    assert f"group {operators.GROUP}" in output and f"admin in the {operators.GROUP} group" in output


def test_a_member_of_staff_in_the_group_has_every_control_s_permission(no_password_variable):
    seed_demo()
    clerk = User.objects.create_user("clerk", password="x", is_staff=True)
    clerk.groups.add(Group.objects.get(name=operators.GROUP))

    clerk = User.objects.get(pk=clerk.pk)
    assert all(clerk.has_perm(control.permission) for control in operators.CONTROLS.values())


def test_a_second_run_leaves_the_group_and_its_members_as_they_were(no_password_variable):
    seed_demo()
    before = (group_permission_names(), list(Group.objects.values_list("pk", "name")), admin_group_ids())

    second = seed_demo()

    assert second.strip() == "Nothing to do: the demo data is already there."
    assert (group_permission_names(), list(Group.objects.values_list("pk", "name")), admin_group_ids()) == before


def admin_group_ids() -> list[int]:
    return list(User.objects.get(username="admin").groups.values_list("pk", flat=True))


def test_a_permission_taken_from_the_group_is_given_back_and_said_so(no_password_variable):
    seed_demo()
    group = Group.objects.get(name=operators.GROUP)
    group.permissions.remove(Permission.objects.get(codename="replay_delivery"))
    User.objects.get(username="admin").groups.clear()

    output = seed_demo()

    assert group_permission_names() == set(operators.GROUP_PERMISSIONS)
    assert "permissions of the operators group: messaging.replay_delivery" in output
    assert f"admin in the {operators.GROUP} group" in output


def test_the_demo_gives_vendors_an_hour_to_accept_an_order(no_password_variable):
    # given a fresh store: nobody saved store settings
    output = seed_demo()

    # then a demo order waits an hour for its vendors (the model's five minutes cancel it mid-tour)
    assert store_settings().vendor_timeout_seconds == 3600
    assert "store settings: vendors have 60 minutes to accept an order" in output


def test_store_settings_staff_saved_are_kept(no_password_variable):
    StoreSettings.objects.create(vendor_timeout_seconds=120)

    output = seed_demo()

    assert store_settings().vendor_timeout_seconds == 120
    assert "store settings" not in output


def test_restock_brings_sold_products_back_to_their_demo_stock_and_tells_the_catalog(
    no_password_variable, run_deliveries
):
    # given the demo, with one product sold down to 0 and another restocked above its demo stock by staff
    seed_demo()
    run_deliveries()
    demo = VENDORS[0].products
    sold, overstocked = Product.objects.get(name=demo[0].name), Product.objects.get(name=demo[1].name)
    vendor_services.product_change_stock(product_id=sold.pk, stock=0)
    vendor_services.product_change_stock(product_id=overstocked.pk, stock=demo[1].stock + 10)
    run_deliveries()

    # when the demo is restocked
    output = seed_demo("--restock")
    run_deliveries()

    # then the sold one is back to its demo stock, in Orders' catalog too, and the other is left alone
    assert f"stock of {demo[0].name} at {VENDORS[0].name}: 0 → {demo[0].stock}" in output
    assert CatalogProduct.objects.get(product_id=sold.pk).stock == demo[0].stock
    assert Product.objects.get(pk=overstocked.pk).stock == demo[1].stock + 10
    assert "Nothing to do" in seed_demo("--restock")
