"""A person orders from two vendors in a real browser; the vendors prepare the goods in their portal.

Everything runs for real: daphne serves the pages, a qcluster delivers the messages, the sweeper wakes
delayed work, on the file-based test database. Screenshots land in test-artifacts/browser/<test name>/.
"""

import re
import secrets
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import BrowserContext, Page, expect

from orders.models import CatalogProduct
from tests.processes import wait_until
from vendors.services import product_list, vendor_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MESSAGES_ARRIVE = 30_000  # ms: the qcluster polls every 0.1 s, htmx re-fetches every 2 s


def vendor_with_a_user(name: str, kind: str, products: dict[str, tuple[str, int]]):
    """A vendor, its products listed through Vendors' services, and a user who works for it."""
    vendor = vendor_create(name=name, kind=kind)
    for product_name, (price, stock) in products.items():
        product_list(vendor=vendor, product_name=product_name, price=price, stock=stock)
    password = secrets.token_urlsafe(12)
    user = get_user_model().objects.create_user(username=f"{vendor.slug}-staff", password=password)
    vendor.staff.add(user)
    return vendor, user.username, password


def timeline_row(page: Page, message_type: str, step: str):
    """The timeline's rows of one message type at one delivery step (the Step column matches exactly)."""
    rows = page.locator("#timeline").get_by_role("row").filter(has_text=message_type)
    return rows.filter(has=page.get_by_role("cell", name=step, exact=True))


def order_quantity(page: Page, product_name: str, quantity: int) -> None:
    page.get_by_label(f"Quantity of {product_name}").fill(str(quantity))


def log_in(page: Page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()


def prepare_in_the_portal(context: BrowserContext, vendor, username: str, password: str, order_id: str, screenshot):
    """A vendor's user logs in to the portal, accepts the order, then marks its goods prepared."""
    portal = context.new_page()
    portal.goto(f"/vendors/{vendor.slug}/")
    expect(portal.get_by_role("heading", name="Log in")).to_be_visible()
    log_in(portal, username, password)
    expect(portal).to_have_url(re.compile(rf"/vendors/{vendor.slug}/$"))
    expect(portal.get_by_role("heading", name=re.compile(vendor.name))).to_be_visible()
    order = portal.get_by_role("row").filter(has_text=order_id[:8])
    expect(order).to_contain_text("Notified")
    screenshot(portal, f"vendor-portal-{vendor.slug}")

    order.get_by_role("button", name="Accept").click()
    expect(order).to_contain_text("Accepted")
    order.get_by_role("button", name="Prepared").click()

    expect(order).to_contain_text("Prepared")
    expect(order.get_by_role("button")).to_have_count(0)
    screenshot(portal, f"vendor-portal-{vendor.slug}-prepared")


def test_a_person_orders_from_two_vendors_pays_and_sees_the_goods_prepared_by_the_vendors(
    live_stack, page: Page, new_context, screenshot
):
    # given two vendors whose products reached Orders' catalog by events
    bakery, bakery_user, bakery_password = vendor_with_a_user(
        "Corner Bakery", "store", {"Sourdough loaf": ("4.20", 12), "Croissant": ("1.30", 40)}
    )
    grocer, grocer_user, grocer_password = vendor_with_a_user(
        "Green Grocer", "supermarket", {"Apples 1 kg": ("2.90", 25), "Basil pot": ("1.99", 8)}
    )
    wait_until(lambda: CatalogProduct.objects.count() == 4, timeout=30, message="the catalog to reach Orders")

    # when a person opens the storefront and orders a loaf and two kilos of apples
    page.goto("/")
    expect(page.get_by_role("heading", name="Corner Bakery")).to_be_visible()
    expect(page.get_by_role("heading", name="Green Grocer")).to_be_visible()
    order_quantity(page, "Sourdough loaf", 1)
    order_quantity(page, "Apples 1 kg", 2)
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Your e-mail").fill("ada@example.com")
    screenshot(page, "storefront")
    page.get_by_role("button", name="Place order").click()

    # then they land on their order's page, at an unguessable address, waiting for payment
    expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}/$"))
    order_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(page.locator("#order-status")).to_have_text("placed", ignore_case=True)
    expect(page.locator("#order-total")).to_have_text("€10.00")  # 4.20 + 2 x 2.90
    expect(page.get_by_role("row").filter(has_text="Sourdough loaf")).to_contain_text("Corner Bakery")
    expect(page.get_by_role("row").filter(has_text="Apples 1 kg")).to_contain_text("Green Grocer")
    screenshot(page, "order-before-payment")

    # when they pay with the card that always succeeds
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill(f"12/{(date.today().year + 3) % 100:02d}")
    page.get_by_label("CVC").fill("123")
    page.get_by_label("Name on card").fill("Ada Lovelace")
    page.get_by_role("button", name=re.compile(r"^Pay")).click()

    # then the payment is recorded and the timeline fills as the messages flow
    expect(page.get_by_role("row").filter(has_text="4242")).to_contain_text("Succeeded")
    expect(page.get_by_label("Card number")).to_have_count(0)
    expect(timeline_row(page, "orders.OrderPaid", "Published")).to_have_count(1)
    expect(timeline_row(page, "orders.OrderPaid", "Started").first).to_be_visible(timeout=MESSAGES_ARRIVE)
    expect(timeline_row(page, "orders.OrderPaid", "Succeeded").first).to_be_visible(timeout=MESSAGES_ARRIVE)
    expect(timeline_row(page, "vendors.VendorNotified", "Published")).to_have_count(2, timeout=MESSAGES_ARRIVE)
    expect(page.locator("#order-status")).to_have_text("vendor notified", ignore_case=True, timeout=MESSAGES_ARRIVE)
    screenshot(page, "order-paid-with-timeline")

    # when each vendor's user accepts the order and marks the goods prepared in the vendor portal
    prepare_in_the_portal(new_context(), bakery, bakery_user, bakery_password, order_id, screenshot)
    prepare_in_the_portal(new_context(), grocer, grocer_user, grocer_password, order_id, screenshot)

    # then the order page, still open (htmx re-fetches it), shows the order prepared and asks to confirm receipt
    expect(page.locator("#order-status")).to_have_text("prepared", ignore_case=True, timeout=MESSAGES_ARRIVE)
    expect(timeline_row(page, "vendors.OrderPrepared", "Published")).to_have_count(2)
    expect(page.get_by_role("button", name="Confirm receipt")).to_be_visible()
    screenshot(page, "order-prepared")

    # when the customer confirms receipt
    page.get_by_role("button", name="Confirm receipt").click()

    # then the order is completed
    expect(page.locator("#order-status")).to_have_text("completed", ignore_case=True, timeout=MESSAGES_ARRIVE)
    screenshot(page, "order-completed")
