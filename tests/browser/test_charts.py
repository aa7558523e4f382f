"""The dashboard's charts as a reader sees them: a sane time axis from the first sample, tick labels that do not
overlap each other or the axis' own label, and durations in minutes and seconds.

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

from messaging.models import JournalEntry, Kind, Step
from messaging.runtime import journal
from orders.models import Order
from tests.orders.factories import paid_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The pixel room of an axis' tick labels, measured as uPlot draws them (its canvas font).
AXIS = """([id, index]) => {
  const u = window.dashboardCharts[id];
  const axis = u.axes[index];
  u.ctx.font = axis.font[0];
  const labels = (axis._values || []).filter((v) => v != null && v !== "");
  const widths = labels.map((v) => u.ctx.measureText(String(v)).width / (window.devicePixelRatio || 1));
  const positions = (axis._splits || []).map((v) => u.valToPos(v, axis.scale));
  return { labels, widest: Math.max(0, ...widths), positions, size: axis._size, ticks: axis.ticks.size };
}"""


def log_in(page: Page, path: str) -> None:
    password = secrets.token_urlsafe(12)
    get_user_model().objects.create_user("charts", password=password, is_staff=True)
    page.goto(path)
    page.get_by_label("Username").fill("charts")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def test_the_health_charts_draw_a_sane_time_axis_whose_labels_do_not_overlap(live_stack, page: Page, screenshot):
    # when the health page opens, the queue chart holding a single sample
    log_in(page, "/dashboard/health/")
    page.wait_for_function("window.dashboardCharts && window.dashboardCharts['chart-queue']")
    low, high = page.evaluate(
        "[dashboardCharts['chart-queue'].scales.x.min, dashboardCharts['chart-queue'].scales.x.max]"
    )
    # then its time axis spans about a minute, not years
    assert 30 <= high - low <= 15 * 60
    # and the messages per second axis' labels, UTC clock times, stand apart wider than the widest of them
    rates = page.evaluate(AXIS, ["chart-rates", 0])
    assert rates["labels"] and all(re.fullmatch(r"\d\d:\d\d:\d\d", label) for label in rates["labels"])
    gaps = [b - a for a, b in zip(rates["positions"], rates["positions"][1:], strict=False)]
    assert min(gaps) > rates["widest"] + 4
    screenshot(page, "health")


def test_the_tradeoff_curve_reads_durations_and_its_axis_label_clears_the_ticks(live_stack, page: Page, screenshot):
    # given a paid order whose vendor heard of it 190,456 ms after its payment
    order = paid_order()
    paid_at = timezone.now() - timedelta(minutes=10)
    Order.objects.filter(pk=order.pk).update(paid_at=paid_at)
    with transaction.atomic():
        journal.append(
            JournalEntry(
                at=paid_at + timedelta(milliseconds=190_456),
                step=Step.PUBLISHED,
                kind=Kind.EVENT,
                type="vendors.VendorNotified",
                correlation_id=str(order.pk),
                context="vendors",
            )
        )
    # when the panel opens
    log_in(page, "/dashboard/tradeoffs/")
    # then the table reads minutes and seconds
    expect(page.locator("table.styles")).to_contain_text("3 min 10 s")
    # and the curve's time axis too, wide enough for its labels, its own label clear of them
    page.wait_for_function("window.dashboardCharts && window.dashboardCharts['chart-tradeoffs']")
    y = page.evaluate(AXIS, ["chart-tradeoffs", 1])
    assert y["labels"] and all(re.fullmatch(r"[\d.]+ (ms|s)|\d+ min( \d+ s)?", label) for label in y["labels"])
    assert y["size"] >= y["widest"] + y["ticks"]
    screenshot(page, "tradeoffs")
