"""Times in the browser: relative where people scan, kept current by the page, the moment with its zone on hover;
a next attempt already due says what holds it.

Everything runs for real (daphne, a qcluster, the sweeper, on the file-based test database).
"""

import re
import secrets
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import Page, expect

import messaging
from messaging.models import Delivery
from messaging.operations import actions as operations
from tests.testapp.contracts import Ping

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ABSOLUTE = re.compile(r"^\d{1,2} \w{3} \d{4}, \d\d:\d\d:\d\d UTC$")


def test_a_ledgers_next_attempts_count_down_and_a_held_one_says_why(live_stack, page: Page):
    # given a Ping whose two handlers are paused, one delivery due in 40 s, the other due a minute ago
    for handler in ("tests.ping_a", "tests.ping_b"):
        operations.handler_pause(handler, actor="user:operator")
    with transaction.atomic():
        message_id = messaging.publish(Ping(key="times"), delay=40)
    Delivery.objects.filter(handler="tests.ping_a").update(available_at=timezone.now() - timedelta(minutes=1))
    password = secrets.token_urlsafe(12)
    get_user_model().objects.create_user("timer", password=password, is_staff=True)

    # when an operator opens the message's ledger
    page.goto(f"/dashboard/messages/{message_id}/")
    page.get_by_label("Username").fill("timer")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()

    # then the due one says what holds it, the moment it was due on hover
    held = page.locator('#deliveries tr[data-handler="tests.ping_a"] .held')
    expect(held).to_have_text("held: its handler is paused")
    expect(held).to_have_attribute("title", re.compile(r"^due since \d{1,2} \w{3} \d{4}, \d\d:\d\d:\d\d UTC$"))
    # and the other counts down to its attempt, without a reload
    later = page.locator('#deliveries tr[data-handler="tests.ping_b"] time[data-relative]')
    expect(later).to_have_attribute("title", ABSOLUTE)
    first = later.text_content()
    assert re.fullmatch(r"in \d+ s", first)
    expect(later).not_to_have_text(first, timeout=5_000)
    assert int(later.text_content().split()[1]) < int(first.split()[1])
