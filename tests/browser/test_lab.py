"""An operator runs a trade-off lab experiment from the dashboard in a real browser and watches it to the end.

Everything runs for real: daphne starts ``manage.py run_experiment`` in a process of its own (as it would in
production), which places the lab's orders on the live qcluster and sweeper (file-based test database). The
experiment's page follows the runner's progress by polling its JSON (lab.js) and reloads itself when the results
arrive: the tests never reload. The second plays the runner itself, to see each step at its own pace.
Screenshots land in test-artifacts/browser/<test name>/.
"""

import re
import secrets

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect

from marketplace.lab import records
from marketplace.lab.models import Experiment
from tests.browser.test_narrow_screens import sideways_scroll, too_wide
from tests.dashboard.test_lab_pages import PARAMETERS, scenario_results

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FINISHES = 90_000  # ms: three orders a style, the lab's vendors stocked and their staff accepting
LIVE = 15_000  # ms: the page polls every second
PHONE = 390
# Kept in sessionStorage across the page's own reloads: each state and phase the progress box showed.
WATCH_THE_BOX = """
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("lab-progress");
  if (!box) return;
  const seen = () => {
    const text = (name) => box.querySelector('[data-progress="' + name + '"]').textContent;
    const all = JSON.parse(sessionStorage.getItem("box-seen") || "[]");
    all.push(text("state") + " | " + text("phase") + " | " + text("placed"));
    sessionStorage.setItem("box-seen", JSON.stringify(all));
  };
  new MutationObserver(seen).observe(box, { subtree: true, childList: true, characterData: true });
});
"""
DURATION = re.compile(r"\d+(\.\d+)? (ms|s)|\d+ min( \d+ s)?")


def log_in(page: Page, path: str) -> None:
    password = secrets.token_urlsafe(12)
    get_user_model().objects.create_superuser("lab-admin", "lab-admin@example.com", password)
    page.goto(path)
    page.get_by_label("Username").fill("lab-admin")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def test_an_operator_starts_an_experiment_and_watches_it_finish_without_reloading(live_stack, page: Page, screenshot):
    # given a superuser on the Trade-offs page, which has no experiment yet
    page.add_init_script(WATCH_THE_BOX)
    log_in(page, "/dashboard/tradeoffs/")
    expect(page.get_by_role("heading", name="Trade-off lab")).to_be_visible()
    expect(page.locator("#no-experiments")).to_be_visible()
    expect(page.get_by_role("heading", name="This shop's own traffic")).to_be_visible()

    # when they ask for the baseline scenario, three orders a style at 5 a second, seed 7, and start it
    page.get_by_role("checkbox", name=re.compile(r"^baseline")).check()
    page.get_by_label("Orders per style").fill("3")
    page.get_by_label("Rate (orders per second, per style)").fill("5")
    page.get_by_label("Seed").fill("7")
    page.get_by_label("Settle timeout (s)").fill("60")
    screenshot(page, "form")
    page.get_by_role("button", name="Start the experiment").click()

    # then they land on the experiment's page, which says what was asked
    expect(page).to_have_url(re.compile(r"/dashboard/tradeoffs/experiments/\d+/$"))
    experiment = Experiment.objects.get()
    assert experiment.actor == "user:lab-admin"
    assert experiment.parameters["scenarios"] == ["baseline"]
    assert (experiment.parameters["orders"], experiment.parameters["seed"]) == (3, 7)
    facts = page.locator("#experiment-facts")
    expect(facts).to_contain_text("user:lab-admin")
    expect(facts).to_contain_text("60 s")

    # and the progress box follows the runner live (lab.js writes "live: ..." after each poll)
    # (a run this small is over in seconds, each page it reloads lives a second or two: what the box showed on
    # each is kept, as an operator would have seen it go by)
    page.wait_for_function("JSON.parse(sessionStorage.getItem('box-seen') || '[]').some((s) => s.startsWith('live'))")
    if page.locator("#lab-progress").count():
        screenshot(page, "progress")

    # and the results appear on their own: a table of both styles, side by side
    results = page.locator("section.lab-scenario[data-scenario=baseline]")
    expect(results).to_be_visible(timeout=FINISHES)
    first = results.locator('tr[data-key="first_p50"]')
    expect(first.locator("th")).to_have_text("Payment → first vendor notified, p50")
    expect(first.locator('td[data-style="event"]')).to_have_text(DURATION)
    expect(first.locator('td[data-style="command"]')).to_have_text(DURATION)
    expect(results.locator('tr[data-key^="first_"]')).to_have_count(4)  # p50, p95, p99, max
    expect(page.locator("#experiment-status")).to_have_text("finished", timeout=FINISHES)
    print("The progress box showed:", *page.evaluate("JSON.parse(sessionStorage.getItem('box-seen'))"), sep="\n  ")
    expect(page.locator("#lab-progress")).to_have_count(0)
    expect(results.locator(".findings li").first).to_contain_text("Baseline")
    page.wait_for_function("window.dashboardCharts && window.dashboardCharts['lab-chart-0-all']")
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.FINISHED, experiment.error
    rows = {row["key"]: row for row in experiment.results["scenarios"][0]["rows"]}
    expect(first.locator('td[data-style="event"]')).to_have_text(rows["first_p50"]["event"])
    screenshot(page, "finished")

    # and a phone reads it too: the table scrolls in its own box, the page never sideways
    page.set_viewport_size({"width": PHONE, "height": 844})
    page.wait_for_function(f"window.dashboardCharts['lab-chart-0-all'].width <= {PHONE}")  # redrawn to fit
    assert sideways_scroll(page) <= 0, f"the page scrolls sideways: {too_wide(page)}"
    screenshot(page, "finished-phone")

    # and the Trade-offs page lists it as finished
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Trade-offs").first.click()
    row = page.locator(f'tr[data-experiment="{experiment.pk}"]')
    expect(row).to_contain_text("finished")
    expect(row).to_contain_text("user:lab-admin")
    expect(page.locator("#lab-progress")).to_have_count(0)


def test_the_progress_box_follows_the_runner_through_a_lost_connection_and_a_stop_keeping_the_results(
    live_stack, page: Page, screenshot
):
    # given an experiment a runner is working on (played here, so the test sets its pace)
    experiment = Experiment.objects.create(
        status=Experiment.Status.RUNNING,
        actor="cli:ada",
        parameters={**PARAMETERS},
        progress={"phase": "preparing", "note": "Stocking the lab's vendors", "beat": timezone.now().isoformat()},
        started_at=timezone.now(),
    )
    log_in(page, f"/dashboard/tradeoffs/experiments/{experiment.pk}/")
    box = page.locator("#lab-progress")
    state = box.locator('[data-progress="state"]')
    expect(state).to_contain_text("live", timeout=LIVE)
    expect(box.locator('[data-progress="phase"]')).to_have_text("Preparing")
    expect(page.locator("#no-results")).to_contain_text("No scenario has finished yet")

    # when the runner places the second scenario's orders, the box says so within a poll or two
    records.experiment_progress(
        experiment,
        phase="placing",
        scenario="vendors-down",
        scenario_title="Vendors down 20 s",
        scenario_number=2,
        scenarios=2,
        placed=37,
        orders=100,
        note="Vendors unavailable for 20 s (since 12:01:03)",
    )
    expect(box.locator('[data-progress="phase"]')).to_have_text("Placing orders", timeout=LIVE)
    expect(box.locator('[data-progress="scenario"]')).to_have_text("2 of 2: Vendors down 20 s")
    expect(box.locator('[data-progress="placed"]')).to_have_text("37 of 100")
    expect(box.locator('[data-progress="note"]')).to_have_text("Vendors unavailable for 20 s (since 12:01:03)")
    assert box.locator('[data-progress="bar"]').evaluate("(bar) => [bar.value, bar.max]") == [37, 100]
    screenshot(page, "progress")

    # when the connection is lost, it says so and keeps trying; back, it is live again
    page.route(re.compile(r"\.json$"), lambda route: route.abort())
    expect(state).to_have_text("connection lost, retrying", timeout=LIVE)
    screenshot(page, "connection-lost")
    page.unroute(re.compile(r"\.json$"))
    expect(state).to_contain_text("live", timeout=LIVE)

    # when the first scenario's results are written, the page shows them by itself, and goes on following
    experiment.results = {"scenarios": [scenario_results("baseline", "Baseline")]}
    Experiment.objects.filter(pk=experiment.pk).update(results=experiment.results)
    table = page.locator("section.lab-scenario[data-scenario=baseline] table.lab-results")
    expect(table).to_be_visible(timeout=LIVE)
    expect(table.locator("tr[data-key=first_p50] td[data-style=event]")).to_have_text("1.2 s")
    expect(table.locator("tr[data-key=first_p50] td.better")).to_have_attribute("data-style", "event")
    expect(box.locator('[data-progress="state"]')).to_contain_text("live", timeout=LIVE)

    # when the operator stops it, the runner is asked to (the box says by whom) and, stopped, the page says so,
    # keeping what was measured
    page.get_by_role("button", name="Stop the experiment").click()
    expect(page.get_by_role("status").filter(has_text="stops at its runner's next look")).to_be_visible()
    expect(box.locator('[data-progress="stop"]')).to_have_text("asked by user:lab-admin")
    experiment.refresh_from_db()
    assert experiment.stop_requested_by == "user:lab-admin"
    records.experiment_end(experiment, status=Experiment.Status.INTERRUPTED, error="Stopped by user:lab-admin.")
    expect(page.locator("#experiment-status")).to_have_text("interrupted", timeout=LIVE)
    expect(page.locator("#lab-progress")).to_have_count(0)
    expect(page.locator("#experiment-error")).to_contain_text("Stopped by user:lab-admin.")
    expect(page.locator("section.lab-scenario")).to_have_count(1)
    screenshot(page, "stopped")
