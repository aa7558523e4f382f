"""Every page of the tour is usable on a 390 px phone: nothing scrolls sideways, the header's links and the
order's totals are on screen. Screenshots of each page at 1280 px and at 390 px land in
test-artifacts/browser/narrow_screens_*/ (a wide table scrolls inside its own box, not the page)."""

import re
import secrets

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from messaging.models import Message
from orders.models import CatalogProduct
from orders.services.payment import order_pay
from orders.services.placing import LineRequest, order_place
from tests.processes import wait_until
from vendors.services import product_list, vendor_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE, DESKTOP = 390, 1280


@pytest.fixture
def tour(live_stack):
    """A vendor with products in the catalog (one sold out), a placed order, and a staff user's password."""
    vendor = vendor_create(name="Corner Bakery", kind="store")
    product_list(vendor=vendor, product_name="Sourdough loaf with a long name", price="4.20", stock=12)
    product_list(vendor=vendor, product_name="Croissant", price="1.30", stock=0)
    wait_until(lambda: CatalogProduct.objects.count() == 2, timeout=30, message="the catalog to reach Orders")
    loaf = CatalogProduct.objects.get(name__startswith="Sourdough")
    order = order_place(
        customer_name="Ada Lovelace", customer_email="ada.lovelace@example.com", lines=[LineRequest(loaf.product_id, 2)]
    )
    paid = order_place(
        customer_name="Grace Hopper", customer_email="grace@example.com", lines=[LineRequest(loaf.product_id, 1)]
    )
    order_pay(order_id=paid.pk, card_number="4242424242424242")
    wait_until(lambda: Message.objects.filter(correlation_id=str(paid.pk)).count() >= 2, timeout=30, message="the flow")
    first_message = Message.objects.filter(correlation_id=str(paid.pk)).order_by("created_at").first()
    password = secrets.token_urlsafe(12)
    get_user_model().objects.create_superuser("admin", "admin@example.com", password)
    pages = {
        "storefront": "/",
        "order": f"/orders/{order.pk}/",
        "vendor-portal": "/vendors/",
        "vendor-orders": f"/vendors/{vendor.slug}/",
        "dashboard-stream": "/dashboard/",
        "paid-order": f"/orders/{paid.pk}/",
        "dashboard-flow": f"/dashboard/flow/{paid.pk}/",
        "dashboard-ledger": f"/dashboard/messages/{first_message.pk}/",
        "dashboard-health": "/dashboard/health/",
        "dashboard-message-types": "/dashboard/message-types/",
        "dashboard-tradeoffs": "/dashboard/tradeoffs/",
        "dashboard-controls": "/dashboard/controls/",
        "dashboard-dead-letters": "/dashboard/dead-letters/",
        "not-found": "/orders/00000000-0000-4000-8000-000000000000/",
    }
    return {"pages": pages, "password": password}


def sideways_scroll(page: Page) -> int:
    """How many pixels the page scrolls sideways (0 when it fits)."""
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


def too_wide(page: Page) -> list[str]:
    """The elements that reach past the right edge outside any box of their own that scrolls (for the message)."""
    return page.evaluate(
        """() => {
            const clipped = (el) => {
                for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
                    if (getComputedStyle(up).overflowX !== "visible") return true;
                }
                return false;
            };
            const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
                + (typeof el.className === "string" && el.className ? "." + el.className.split(" ").join(".") : "");
            return [...document.querySelectorAll("body *")]
                .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5 && !clipped(el))
                .slice(-5)
                .map((el) => name(el.parentElement) + " > " + name(el));
        }"""
    )


def on_screen(page: Page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"] + 0.5


def log_in(page: Page, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    expect(page.get_by_role("button", name=re.compile("Log out"))).to_be_visible()


def test_every_tour_page_fits_a_phone_with_its_header_links_and_totals(page: Page, tour, screenshot):
    visit_the_tour(page, tour, screenshot, PHONE)


def test_every_tour_page_fits_a_desktop_with_its_header_links_and_totals(page: Page, tour, screenshot):
    visit_the_tour(page, tour, screenshot, DESKTOP)


def visit_the_tour(page: Page, tour, screenshot, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 844 if width == PHONE else 900})
    page.goto("/accounts/login/")
    assert sideways_scroll(page) <= 0, "the login page scrolls sideways"
    screenshot(page, f"{width}-login")
    log_in(page, tour["password"])

    for name, url in tour["pages"].items():
        page.goto(url)
        assert sideways_scroll(page) <= 0, f"{name} ({url}) scrolls sideways: {too_wide(page)}"
        header = page.locator("header.site")
        for link in (header.get_by_role("link", name="Dashboard"), header.get_by_role("button", name="Log out admin")):
            expect(link).to_be_visible()
            assert on_screen(page, link), f"{name}: a header link is off screen"
        if name == "order":
            total = page.locator("#order-total")
            expect(total).to_have_text("€8.40")
            assert on_screen(page, total), "the order's total is cut off"
        screenshot(page, f"{width}-{name}")


def test_the_storefront_adds_up_the_order_as_the_customer_types(page: Page, tour):
    page.set_viewport_size({"width": PHONE, "height": 844})
    page.goto("/")

    page.get_by_label("Quantity of Sourdough loaf with a long name").fill("3")

    expect(page.locator("#running-total")).to_have_text("€12.60")
    expect(page.get_by_label("Quantity of Croissant")).to_be_disabled()
    expect(page.get_by_role("row").filter(has_text="Croissant")).to_contain_text("Sold out")
