"""The vendor portal: login, each vendor's staff on their own vendor only, Accept and Prepared."""

import re
import uuid

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from messaging.models import Message
from tests.vendors.factories import ProductFactory, UserFactory, VendorFactory
from vendors.models import VendorNotification
from vendors.services import vendor_notify

pytestmark = pytest.mark.django_db

Status = VendorNotification.Status


def notified(vendor, product_name: str, quantity: int = 2) -> VendorNotification:
    product = ProductFactory(vendor=vendor, name=product_name, stock=10)
    lines = [{"product_id": product.pk, "quantity": quantity}]
    return vendor_notify(vendor_id=vendor.pk, order_id=uuid.uuid4(), lines=lines, via="command")


@pytest.fixture
def alice():
    return UserFactory(username="alice")


@pytest.fixture
def bakery(alice):
    return VendorFactory(name="Bakery", slug="bakery", kind="store", staff=[alice])


@pytest.fixture
def market():
    return VendorFactory(name="Market", slug="market", kind="supermarket", staff=[UserFactory(username="bob")])


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def accept_url(notification, slug=None):
    return reverse("vendors:accept", args=[slug or notification.vendor.slug, notification.pk])


def prepare_url(notification, slug=None):
    return reverse("vendors:prepare", args=[slug or notification.vendor.slug, notification.pk])


def flashed(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def status_of(notification) -> str:
    notification.refresh_from_db()
    return notification.status


# Logging in


@pytest.mark.parametrize("url", ["/vendors/", "/vendors/bakery/"])
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, bakery, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_an_anonymous_post_changes_nothing(client, bakery):
    notification = notified(bakery, "Bread")

    response = client.post(accept_url(notification))

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert status_of(notification) == Status.NOTIFIED


def test_vendor_staff_log_in_and_land_on_the_portal(client, alice, bakery):
    page = client.get("/accounts/login/")
    landing = re.search(r'name="next" value="([^"]*)"', page.content.decode())[1]

    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "correct horse battery staple", "next": landing}
    )

    assert page.status_code == 200 and b"Log in" in page.content
    assert (response.status_code, response["Location"]) == (302, "/vendors/")
    assert client.get("/vendors/").context["user"] == alice


def test_a_wrong_password_is_refused_with_a_message(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "guess"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_logging_in_returns_to_the_page_asked_for(client, alice, bakery):
    response = client.post(
        "/accounts/login/",
        {"username": "alice", "password": "correct horse battery staple", "next": "/vendors/bakery/"},
    )

    assert response["Location"] == "/vendors/bakery/"


# Who sees what


def test_vendor_staff_see_only_their_own_vendors(alice_client, bakery, market):
    response = alice_client.get("/vendors/")

    assert [v.name for v in response.context["vendors"]] == ["Bakery"]
    assert "/vendors/market/" not in response.content.decode()


def test_staff_see_every_vendor(client, bakery, market):
    client.force_login(UserFactory(username="sam", is_staff=True))

    response = client.get("/vendors/")

    assert [v.name for v in response.context["vendors"]] == ["Bakery", "Market"]


def test_a_user_who_works_for_no_vendor_is_told_so(client, bakery):
    client.force_login(UserFactory(username="nobody"))

    response = client.get("/vendors/")

    assert list(response.context["vendors"]) == []
    assert "does not work for any vendor yet" in response.content.decode()


def test_the_list_counts_orders_to_accept_and_to_prepare(alice_client, bakery):
    notified(bakery, "Bread")
    VendorNotification.objects.filter(pk=notified(bakery, "Buns").pk).update(status=Status.ACCEPTED)

    vendor = alice_client.get("/vendors/").context["vendors"][0]

    assert (vendor.to_accept, vendor.to_prepare) == (1, 1)


def test_a_vendor_page_shows_each_order_with_its_lines_status_style_and_times(alice_client, bakery):
    notification = notified(bakery, "Sourdough loaf", quantity=3)

    html = alice_client.get("/vendors/bakery/").content.decode()

    assert str(notification.order_id)[:8] in html
    assert "3 \u00d7 Sourdough loaf" in html
    assert '<span class="badge notified">Notified</span>' in html
    assert '<span class="kind command">command</span>' in html
    assert f'<time datetime="{notification.created_at.isoformat()}" title="' in html
    assert accept_url(notification) in html


def test_a_vendor_page_filters_its_orders_by_status_and_counts_each(alice_client, bakery):
    waiting, taken = notified(bakery, "Rye"), notified(bakery, "Baguette")
    alice_client.post(accept_url(taken))

    html = alice_client.get("/vendors/bakery/?status=accepted").content.decode()

    assert f'id="notification-{taken.pk}"' in html
    assert f'id="notification-{waiting.pk}"' not in html
    assert '<a href="?status=accepted" aria-current="page">Accepted <span class="muted">(1)</span></a>' in html
    assert '<a href="?status=notified">Notified <span class="muted">(1)</span></a>' in html
    assert 'hx-get="/vendors/bakery/?status=accepted&amp;page=1"' in html


def test_a_filter_with_no_orders_says_so_and_an_unknown_status_shows_all(alice_client, bakery):
    notification = notified(bakery, "Rye")

    assert "No orders are rejected." in alice_client.get("/vendors/bakery/?status=rejected").content.decode()
    assert f'id="notification-{notification.pk}"' in alice_client.get("/vendors/bakery/?status=lost").content.decode()


def test_a_rejected_order_says_why(alice_client, bakery):
    scarce = ProductFactory(vendor=bakery, name="Croissant", stock=1)
    vendor_notify(
        vendor_id=bakery.pk, order_id=uuid.uuid4(), lines=[{"product_id": scarce.pk, "quantity": 4}], via="event"
    )

    html = alice_client.get("/vendors/bakery/").content.decode()

    assert '<span class="badge rejected">Rejected</span>' in html
    assert '<div class="reason muted">Not enough in stock: Croissant (4 wanted, 1 left).</div>' in html


@pytest.mark.parametrize("url", ["/vendors/market/", "/vendors/no-such-vendor/"])
def test_another_vendors_page_or_an_unknown_one_answers_404(alice_client, bakery, market, url):
    assert alice_client.get(url).status_code == 404


def test_staff_may_open_any_vendors_page(client, market):
    client.force_login(UserFactory(username="sam", is_staff=True))

    assert client.get("/vendors/market/").status_code == 200


# Accept and Prepared


def test_accepting_an_order_moves_it_on_and_says_so(alice_client, bakery):
    notification = notified(bakery, "Bread")

    response = alice_client.post(accept_url(notification))

    assert response.status_code == 302
    assert response["Location"] == f"/vendors/bakery/#notification-{notification.pk}"
    assert status_of(notification) == Status.ACCEPTED
    assert flashed(response) == [
        ("success", f"Accepted order {str(notification.order_id)[:8]}: mark it prepared when its goods are ready.")
    ]
    accepted = Message.objects.get(type="vendors.VendorAccepted")
    assert accepted.correlation_id == str(notification.order_id)


def test_marking_an_accepted_order_prepared_publishes_order_prepared(alice_client, bakery):
    notification = notified(bakery, "Bread")
    alice_client.post(accept_url(notification))

    response = alice_client.post(prepare_url(notification), follow=True)

    assert status_of(notification) == Status.PREPARED
    assert f"Order {str(notification.order_id)[:8]} is prepared." in response.content.decode()
    assert Message.objects.filter(type="vendors.OrderPrepared").count() == 1


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        (Status.NOTIFIED, prepare_url, "must be accepted before it can be marked prepared"),
        (Status.ACCEPTED, accept_url, "is already accepted: nothing changed"),
        (Status.PREPARED, prepare_url, "is already prepared: nothing changed"),
        (Status.CANCELLED, accept_url, "was cancelled: there is nothing to accept"),
    ],
)
def test_an_illegal_action_shows_why_and_changes_nothing(alice_client, bakery, status, action, message):
    notification = notified(bakery, "Bread")
    VendorNotification.objects.filter(pk=notification.pk).update(status=status)
    messages_before = Message.objects.count()

    response = alice_client.post(action(notification))

    assert response.status_code == 302
    assert flashed(response) == [("error", f"Order {str(notification.order_id)[:8]} {message}.")]
    assert status_of(notification) == status
    assert Message.objects.count() == messages_before


def test_acting_on_another_vendors_order_answers_404_whichever_vendor_the_url_names(alice_client, bakery, market):
    theirs = notified(market, "Milk")

    through_their_page = alice_client.post(accept_url(theirs))
    through_our_page = alice_client.post(accept_url(theirs, slug="bakery"))

    assert (through_their_page.status_code, through_our_page.status_code) == (404, 404)
    assert status_of(theirs) == Status.NOTIFIED


@pytest.mark.parametrize(
    "url", ["/vendors/bakery/notifications/999999/accept/", "/vendors/bakery/notifications/abc/prepare/"]
)
def test_an_unknown_or_malformed_notification_id_answers_404(alice_client, bakery, url):
    assert alice_client.post(url).status_code == 404


def test_staff_may_act_for_any_vendor(client, market):
    client.force_login(UserFactory(username="sam", is_staff=True))
    notification = notified(market, "Milk")

    client.post(accept_url(notification))

    assert status_of(notification) == Status.ACCEPTED


def test_an_action_needs_a_post(alice_client, bakery):
    notification = notified(bakery, "Bread")

    assert alice_client.get(accept_url(notification)).status_code == 405
    assert status_of(notification) == Status.NOTIFIED


def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(alice, bakery):
    notification = notified(bakery, "Bread")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(accept_url(notification))

    assert response.status_code == 403
    assert status_of(notification) == Status.NOTIFIED


def test_a_post_with_the_pages_csrf_token_is_accepted(alice, bakery):
    notification = notified(bakery, "Bread")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get("/vendors/bakery/")

    client.post(accept_url(notification), {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})

    assert status_of(notification) == Status.ACCEPTED


def test_the_header_offers_to_log_in_then_to_log_out(client, alice):
    assert 'href="/accounts/login/">Log in</a>' in client.get("/accounts/login/").content.decode()
    client.force_login(alice)

    page = client.get("/vendors/").content.decode()
    response = client.post("/accounts/logout/", {"next": "/"})

    assert "Log out alice" in page and 'action="/accounts/logout/"' in page
    assert (response.status_code, response["Location"]) == (302, "/")
    assert client.get("/vendors/").status_code == 302  # logged out: sent to the login page again
