"""An operator watches the live dashboard in a real browser while a customer orders in another tab.

Everything runs for real (daphne with the websocket, a qcluster, the sweeper, on the file-based test database):
the stream's rows arrive over /ws/dashboard/, the flow view draws the order's conversation, and a dead letter is
retried from its ledger. Screenshots land in test-artifacts/browser/<test name>/.
"""

import re
import secrets
import uuid
from datetime import date
from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, WebSocketRoute, expect

import messaging
from messaging.models import Delivery, DeliveryStatus
from messaging.runtime.context import correlated
from orders.models import CatalogProduct, Order, OrderVendor
from tests.orders.factories import OrderFactory, OrderVendorFactory
from tests.processes import wait_until
from vendors.contracts import VendorNotified
from vendors.services import product_list, vendor_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARRIVES = 30_000  # ms: the qcluster polls every 0.1 s, the journal tail every 0.2 s


def log_in_as_staff(page: Page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()


def place_and_pay(shop: Page, product_name: str) -> str:
    """A customer orders two of ``product_name`` on the storefront and pays; returns the order id."""
    shop.goto("/")
    shop.get_by_label(f"Quantity of {product_name}").fill("2")
    shop.get_by_label("Your name").fill("Ada Lovelace")
    shop.get_by_label("Your e-mail").fill("ada@example.com")
    shop.get_by_role("button", name="Place order").click()
    expect(shop).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}/$"))
    shop.get_by_label("Card number").fill("4242 4242 4242 4242")
    shop.get_by_label("Expiry (MM/YY)").fill(f"12/{(date.today().year + 3) % 100:02d}")
    shop.get_by_label("CVC").fill("123")
    shop.get_by_label("Name on card").fill("Ada Lovelace")
    shop.get_by_role("button", name=re.compile(r"^Pay")).click()
    expect(shop.get_by_role("row").filter(has_text="4242")).to_contain_text("Succeeded")
    return shop.url.rstrip("/").rsplit("/", 1)[-1]


def test_an_operator_watches_an_order_flow_live_and_retries_a_dead_letter_from_its_ledger(
    live_stack, operators_group, page: Page, screenshot
):
    # given a vendor whose product reached Orders' catalog, and a member of staff in the operators group
    bakery = vendor_create(name="Corner Bakery", kind="store")
    product_list(vendor=bakery, product_name="Sourdough loaf", price="4.20", stock=12)
    wait_until(lambda: CatalogProduct.objects.count() == 1, timeout=30, message="the catalog to reach Orders")
    password = secrets.token_urlsafe(12)
    get_user_model().objects.create_user("operator", password=password, is_staff=True).groups.add(operators_group)

    # (the page's websockets pass through Playwright, which can cut one as a network would)
    sockets: list[WebSocketRoute] = []

    def through_playwright(socket: WebSocketRoute) -> None:
        socket.connect_to_server()  # frames flow both ways untouched
        sockets.append(socket)

    page.route_web_socket(re.compile(r"/ws/dashboard/"), through_playwright)

    # when the operator opens the dashboard and logs in
    page.goto("/dashboard/")
    log_in_as_staff(page, "operator", password)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))

    # then the stream connects, catches up with the journal's newest entries and goes live
    expect(page.locator("#stream-state")).to_have_text("Live", timeout=ARRIVES)
    rows = page.locator("#stream-rows tr")
    expect(rows.filter(has_text="vendors.ProductListed").first).to_be_visible()
    screenshot(page, "stream-live")

    # when the connection drops, the client reconnects by itself from the last entry it saw, and is live again
    assert [urlparse(socket.url).query for socket in sockets] == [""]
    last_seq = int(rows.first.get_attribute("data-seq"))
    sockets[0].close()
    for _ in range(200):  # Playwright runs the route's handler while the page is waited on, not in a sleep
        if len(sockets) == 2:
            break
        page.wait_for_timeout(50)
    assert len(sockets) == 2, "the client did not reconnect within 10 s"
    assert urlparse(sockets[1].url).query == f"after={last_seq}"
    expect(page.locator("#stream-state")).to_have_text("Live", timeout=ARRIVES)

    # when a customer orders and pays in a second tab
    shop = page.context.new_page()
    order_id = place_and_pay(shop, "Sourdough loaf")

    # then, without a reload, the order's messages arrive in the operator's stream, filtered to the order
    page.bring_to_front()
    page.get_by_label("Correlation id", exact=True).fill(order_id)
    paid = rows.filter(has_text="orders.OrderPaid")
    expect(paid.filter(has_text="Published")).to_have_count(1, timeout=ARRIVES)
    expect(rows.filter(has_text="vendors.VendorNotified").filter(has_text="Published")).to_have_count(
        1, timeout=ARRIVES
    )
    expect(rows.filter(has_text="orders.vendor_notified").filter(has_text="Succeeded").first).to_be_visible(
        timeout=ARRIVES
    )
    expect(rows.filter(has_not_text=order_id[:8])).to_have_count(0)  # the filter keeps this order's rows only
    expect(page.locator("#stream-state")).to_have_text("Live")
    # commands and events look different: the timeout check Orders sends itself is a command
    expect(rows.filter(has_text="orders.CheckVendorResponses").first).to_have_class(re.compile(r"\bcommand\b"))
    expect(paid.first).to_have_class(re.compile(r"\bevent\b"))
    screenshot(page, "stream-order")
    seqs = page.locator("#stream-rows tr").evaluate_all("rows => rows.map(row => Number(row.dataset.seq))")
    assert len(seqs) == len(set(seqs)) and seqs == sorted(seqs, reverse=True)  # newest first, none twice

    # when the operator opens the order's flow view from one of its rows
    paid.first.get_by_role("link", name=order_id[:8]).click()
    expect(page).to_have_url(re.compile(rf"/dashboard/flow/{order_id}/$"))

    # then the causation tree shows OrderPaid, the vendors' handler, and the VendorNotified it published inside it
    tree = page.locator("#flow-tree")
    order_paid = tree.locator(".flow-message").filter(has=page.get_by_role("link", name="orders.OrderPaid", exact=True))
    expect(order_paid.locator(".flow-delivery[data-handler='vendors.notify_vendors_of_paid_order']")).to_be_visible()
    notified = order_paid.locator(".flow-message").filter(
        has=page.get_by_role("link", name="vendors.VendorNotified", exact=True)
    )
    expect(notified).to_have_count(1)
    expect(notified.locator(".flow-delivery[data-handler='orders.vendor_notified'] .badge").first).to_have_text(
        "Succeeded"
    )
    screenshot(page, "flow-view")
    expect(shop.get_by_role("link", name="Flow view")).to_be_visible()  # staff also find it on the order page

    # given the operator watching the whole stream, paused
    nav = page.get_by_role("navigation", name="Dashboard")
    nav.get_by_role("link", name="Live stream").click()
    expect(page.locator("#stream-state")).to_have_text("Live", timeout=ARRIVES)
    page.get_by_role("button", name="Pause").click()

    # when a dead letter is made: Vendors says it notified an order that Orders does not know (yet)
    unknown_order = uuid.uuid4()
    with correlated(str(unknown_order)):
        message_id = messaging.publish(VendorNotified(order_id=unknown_order, vendor_id=bakery.pk))
    dead = wait_until(
        lambda: Delivery.objects.filter(message_id=message_id, status=DeliveryStatus.DEAD).first(),
        timeout=30,
        message="the unknown order's VendorNotified to be dead-lettered",
    )
    assert dead.handler == "orders.vendor_notified"

    # then the paused stream holds its rows back until the operator resumes it
    expect(page.locator("#stream-pause")).to_have_text(re.compile(r"^Resume \(\d+ new\)$"), timeout=ARRIVES)
    expect(rows.filter(has_text="Dead-lettered")).to_have_count(0)
    page.locator("#stream-pause").click()
    expect(rows.filter(has_text="Dead-lettered").filter(has_text="vendors.VendorNotified")).to_have_count(1)
    expect(rows.filter(has_text="Dead-lettered")).to_have_class(re.compile(r"\btrouble\b"))

    # when the operator finds it among the dead letters and opens its ledger
    nav.get_by_role("link", name="Dead letters").click()
    row = page.locator("#dead-letters tr").filter(has_text="orders.vendor_notified")
    expect(row).to_contain_text("for an unknown order or vendor")
    screenshot(page, "dead-letters")
    row.get_by_role("link", name="vendors.VendorNotified").click()
    expect(page).to_have_url(re.compile(rf"/dashboard/messages/{message_id}/$"))
    delivery_row = page.locator("#deliveries tr").filter(has_text="orders.vendor_notified")
    expect(delivery_row.locator(".badge")).to_have_text("Dead letter")
    screenshot(page, "ledger-dead-letter")

    # and, the order having turned up meanwhile, retries it
    order = OrderFactory(id=unknown_order, status=Order.Status.PAID, style="event")
    OrderVendorFactory(order=order, vendor_id=bakery.pk, vendor_name=bakery.name)
    delivery_row.get_by_role("button", name="Retry orders.vendor_notified").click()
    # the error was permanent: the page asks first, as it would fail the same way unless its cause was fixed
    expect(page.locator(".warning").first).to_contain_text("permanent error")
    page.get_by_role("button", name="Retry anyway").click()

    # then it is retried, journaled with the operator's name, and this time it succeeds
    expect(page.get_by_role("status")).to_contain_text("Retrying orders.vendor_notified")
    wait_until(
        lambda: Delivery.objects.get(pk=dead.pk).status == DeliveryStatus.SUCCEEDED,
        timeout=30,
        message="the retried delivery to succeed",
    )
    page.reload()
    expect(delivery_row.locator(".badge")).to_have_text("Succeeded")
    journal = page.locator("table.journal tr")
    expect(journal.filter(has_text="retried by hand")).to_contain_text("user:operator")
    assert OrderVendor.objects.get(order=order).status == OrderVendor.Status.NOTIFIED
    screenshot(page, "ledger-retried")


def test_logging_out_in_another_tab_ends_the_stream_which_says_so_and_does_not_reconnect(live_stack, page: Page):
    # given a member of staff watching the live stream
    password = secrets.token_urlsafe(12)
    get_user_model().objects.create_user("watcher", password=password, is_staff=True)
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket))
    page.goto("/dashboard/")
    log_in_as_staff(page, "watcher", password)
    expect(page.locator("#stream-state")).to_have_text("Live", timeout=ARRIVES)
    assert len(sockets) == 1

    # when they log out in another tab of the same browser
    other = page.context.new_page()
    other.goto("/")
    other.get_by_role("button", name="Log out watcher").click()

    # then the stream says so at once, and stays closed: a reconnect would come within a second
    page.bring_to_front()
    expect(page.locator("#stream-state")).to_have_text(re.compile(r"^Logged out"), timeout=5_000)
    page.wait_for_timeout(2_000)
    assert len(sockets) == 1
    expect(page.locator("#stream-state")).to_have_attribute("data-state", "logged-out")
