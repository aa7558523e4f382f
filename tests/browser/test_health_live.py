"""An operator keeps the health page open: breakers, paused handlers and handling times follow the outbox
without a reload, as the page says they do (every poll of health.json).

Everything runs for real (daphne, a supervised qcluster, the sweeper, on the file-based test database).
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
from messaging.models import BreakerState, CircuitBreaker
from messaging.operations import actions as operations
from tests.testapp.contracts import Rejected

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLLED = 15_000  # ms: the page polls every 2 s


def log_in_to_health(page: Page) -> None:
    password = secrets.token_urlsafe(12)
    get_user_model().objects.create_user("operator", password=password, is_staff=True)
    page.goto("/dashboard/health/")
    page.get_by_label("Username").fill("operator")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    expect(page).to_have_url(re.compile(r"/dashboard/health/$"))


def test_breakers_paused_handlers_and_handling_times_follow_without_a_reload(live_stack, page: Page, screenshot):
    # given a member of staff on the health page, every breaker closed, no handler run or paused
    log_in_to_health(page)
    vendors = page.locator('#breakers-rows tr[data-context="vendors"]')
    expect(vendors.locator(".badge")).to_have_text("Closed")
    expect(page.locator("#paused-none")).to_be_visible()
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    # when the vendors' breaker opens after 6 failures, a handler is paused and another fails
    CircuitBreaker.objects.create(
        context="vendors",
        state=BreakerState.OPEN,
        consecutive_failures=6,
        open_until=timezone.now() + timedelta(minutes=5),
    )
    operations.handler_pause("tests.ping_a", actor="user:operator")
    with transaction.atomic():
        messaging.publish(Rejected(key="browser"))

    # then the page shows each, with the next probe as a relative time and its moment on hover
    expect(vendors.locator(".badge")).to_have_text("Open", timeout=POLLED)
    expect(vendors.locator("td").nth(2)).to_have_text("6")
    probe = vendors.locator("td").nth(3).locator("time")
    expect(probe).to_have_text(re.compile(r"^in \d+ (s|min)$"))
    expect(probe).to_have_attribute("title", re.compile(r"^\d+ \w{3} \d{4}, \d\d:\d\d:\d\d UTC$"))
    expect(page.locator("#paused-rows tr").filter(has_text="tests.ping_a")).to_be_visible()
    expect(page.locator("#paused-none")).to_be_hidden()
    rejected = page.locator('#timings-rows tr[data-handler="tests.rejected"]')
    expect(rejected).to_be_visible(timeout=POLLED)
    expect(rejected.locator("td").nth(3)).to_have_text("1")
    expect(rejected.locator("td").nth(4)).to_have_text(re.compile(r"^\d+(\.\d)? (ms|s)$"))
    screenshot(page, "breaker-open-handler-failed")
    assert page.evaluate("window.sameDocument") is True
