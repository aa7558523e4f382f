"""An operator keeps the health page open while the workers' heartbeats change: the Workers panel and the watchdog
line follow from the page's poll of health.json, without a reload.

Everything runs for real (daphne, a supervised qcluster, the sweeper, on the file-based test database). Screenshots
land in test-artifacts/browser/health_workers_follow_the_heartbeats_without_a_reload/.
"""

import re
import secrets
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, Route, expect

from messaging.models import ProcessHeartbeat, ProcessKind, ProcessState
from messaging.processes.heartbeat import Heartbeat

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEALTH_JSON = re.compile(r"/dashboard/health\.json")
POLLED = 15_000  # ms: the page polls every 2 s, the sweeper watches every 0.3 s
STALL = {
    "stalled": True,
    "stalled_since": "2026-11-26T12:34:56+00:00",
    "stalled_since_clock": "12:34:56",
    "detail": "<img src=x onerror=window.injected=1> deliveries due for over 8s",
}


def test_health_workers_follow_the_heartbeats_without_a_reload(live_stack, page: Page, screenshot):
    # given a member of staff on the health page, a cluster and a sweeper running
    password = secrets.token_urlsafe(12)
    get_user_model().objects.create_user("operator", password=password, is_staff=True)
    page.goto("/dashboard/health/")
    page.get_by_label("Username").fill("operator")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    expect(page).to_have_url(re.compile(r"/dashboard/health/$"))
    rows = page.locator("#workers-rows tr")
    expect(rows.filter(has_text="sweeper").filter(has_text="running").first).to_be_visible(timeout=POLLED)
    expect(rows.filter(has_text="cluster").filter(has_text="running").first).to_be_visible(timeout=POLLED)
    expect(page.locator("#workers-no-cluster")).to_be_hidden()
    expect(page.get_by_role("status").filter(has_text="Flowing")).to_be_visible()
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    # when another cluster starts beating, on a host of its own
    far = Heartbeat(ProcessKind.CLUSTER)
    far.host = "far-host"
    far.beat(ProcessState.RUNNING, workers=3, busy=1, queued=2)

    # then it appears, with its numbers
    row = rows.filter(has_text="far-host")
    expect(row.locator(".badge")).to_have_text("running", timeout=POLLED)
    expect(row.locator("td").nth(4)).to_have_text("3 / 1")
    expect(row.locator("td").nth(5)).to_have_text("2")
    screenshot(page, "far-cluster-running")

    # when it stops beating (its last beat a minute ago)
    ProcessHeartbeat.objects.filter(pk=far.id).update(beat_at=timezone.now() - timedelta(minutes=1))

    # then it is marked silent, in words, with the sweeper's reason, and listed after the live ones
    expect(row.locator(".badge")).to_have_text("silent", timeout=POLLED)
    expect(row).to_have_class(re.compile(r"\btrouble\b"))
    expect(row.locator("td.detail")).to_contain_text("has been silent for", timeout=POLLED)
    expect(rows.last).to_contain_text("far-host")
    screenshot(page, "far-cluster-silent")

    # when health.json says the work stalled (a real stall needs the live stack's cluster gone, which the other
    # browser tests need: the answer is changed on its way to the page, its detail carrying markup)
    def stalled(route: Route) -> None:
        response = route.fetch()
        route.fulfill(response=response, json={**response.json(), "watchdog": STALL})

    page.route(HEALTH_JSON, stalled)

    # then the watchdog line turns into an alert saying since when and why, the markup shown as text
    alert = page.get_by_role("alert").filter(has_text="STALLED")
    expect(alert).to_have_text(
        f"STALLED since 12:34:56: {STALL['detail']} — the sweeper runs due deliveries itself meanwhile",
        timeout=POLLED,
    )
    expect(page.get_by_role("status").filter(has_text="Flowing")).to_be_hidden()
    assert page.locator("#watchdog img").count() == 0
    assert page.evaluate("window.injected") is None
    screenshot(page, "stalled")

    # and when the work flows again, so does the line
    page.unroute(HEALTH_JSON)
    expect(page.get_by_role("status").filter(has_text="Flowing")).to_be_visible(timeout=POLLED)
    expect(alert).to_be_hidden()
    assert page.evaluate("window.sameDocument") is True
