"""The Trade-offs page's lab: the list of experiments, one experiment's page and JSON, and starting one.

The numbers, verdicts and findings are the lab's (``Experiment.results``); the pages render them as they are, so
the tests compare the page with the JSON. A real start runs a process of its own: the browser test does that
(tests/browser/test_lab.py); here every refusal is covered, each before anything is launched.
"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.test.html import parse_html
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from marketplace import operators
from marketplace.lab.models import Experiment

pytestmark = pytest.mark.django_db

LAB_URL = "/dashboard/tradeoffs/"
START_URL = "/dashboard/tradeoffs/experiments/"
STYLES = ("event", "command")
DONE = {Experiment.Status.FINISHED, Experiment.Status.FAILED, Experiment.Status.INTERRUPTED}
PARAMETERS = {
    "scenarios": ["baseline", "vendors-down"],
    "orders": 50,
    "rate": 5.0,
    "seed": 7,
    "schedule": "interleaved",
    "settle_timeout": 90,
    "settings": {"down_seconds": 20},
}
VALID = {
    "scenarios": ["baseline"],
    "orders": "3",
    "rate": "5",
    "seed": "7",
    "schedule": "interleaved",
    "settle_timeout": "60",
}


def curve(scale: float) -> dict:
    return {"x": list(range(101)), "event": [p * scale for p in range(101)], "command": [None] * 101}


def scenario_results(name: str, title: str) -> dict:
    """One scenario as the lab writes it (marketplace.lab.runner), with text a page must escape."""
    return {
        "name": name,
        "title": title,
        "settings": {"down_seconds": 20} if name == "vendors-down" else {},
        "orders_per_style": 50,
        "rows": [
            {
                "key": "first_p50",
                "label": "Payment → first vendor notified, p50",
                "event": "1.2 s",
                "command": "1.4 s",
                "verdict": "event 1.2x faster",
                "better": "event",
            },
            {
                "key": "told",
                "label": "Failures Orders was told of",
                "event": "none: Orders hears only of success",
                "command": "14 in 12 orders, within 2.0 s",
                "verdict": "command: 14 more",
                "better": "command",
            },
            {
                "key": "orders",
                "label": "Orders placed and paid",
                "event": "50",
                "command": "50",
                "verdict": "—",
                "better": None,
            },
        ],
        "findings": [
            f"{title}: command style told Orders of 14 failures within 2 s; event style told it of none.",
            "Payment to the first vendor notified: event 1.2 s, command 1.4 s (event 1.2x faster) <b>& more</b>.",
        ],
        "charts": {"first": curve(10), "all": curve(20)},
        "styles": {"event": {"paid": 50}, "command": {"paid": 50}},
    }


def experiment_row(*, status=Experiment.Status.FINISHED, actor="user:ada", scenarios=None, **fields) -> Experiment:
    """An experiment as the lab leaves it; one not done holds the ``active`` flag and beats now."""
    now = timezone.now()
    fields.setdefault("progress", {"beat": now.isoformat()})
    if status in DONE:
        fields.setdefault("started_at", now - timedelta(minutes=2))
        fields.setdefault("finished_at", now)
    elif status == Experiment.Status.RUNNING:
        fields.setdefault("started_at", now)
    return Experiment.objects.create(
        status=status,
        active=None if status in DONE else True,
        actor=actor,
        parameters={**PARAMETERS, "scenarios": scenarios or PARAMETERS["scenarios"]},
        **fields,
    )


def assert_in_html(fragment: str, page) -> None:
    """``fragment`` is in ``page`` (parsed), as HTML: attributes in any order, text unescaped alike."""
    assert page.count(parse_html(fragment)) >= 1, fragment


def finished_experiment() -> Experiment:
    results = [scenario_results("baseline", "Baseline"), scenario_results("vendors-down", "Vendors down 20 s")]
    return experiment_row(results={"scenarios": results})


@pytest.fixture
def operator_client(operators_group):
    """Staff in the operators group: may start an experiment."""
    user = get_user_model().objects.create_user("operator", password="x", is_staff=True)
    user.groups.add(operators_group)
    client = Client()
    client.force_login(user)
    return client


class TestTheLabPage:
    def test_lists_recent_experiments_newest_first_with_who_what_and_how_far(self, staff_client):
        first = finished_experiment()
        failed = experiment_row(status=Experiment.Status.FAILED, actor="cli:grace", scenarios=["flaky"])
        page = staff_client.get(LAB_URL).content.decode()
        assert page.index(f'data-experiment="{failed.pk}"') < page.index(f'data-experiment="{first.pk}"')
        for experiment, scenarios in ((first, "baseline, vendors-down"), (failed, "flaky")):
            link = reverse("dashboard:experiment", kwargs={"pk": experiment.pk})
            assert f'<a href="{link}">Experiment {experiment.pk}</a>' in page
            assert f"<td>{experiment.actor}</td>" in page
            assert f"<td>{scenarios}</td>" in page
            assert f'<span class="badge lab-{experiment.status}">{experiment.status}</span>' in page
        assert '<td class="num">50</td>' in page
        assert "No experiment has run yet" not in page

    def test_says_so_when_there_is_none_and_explains_what_an_experiment_is(self, staff_client):
        page = staff_client.get(LAB_URL).content.decode()
        assert "No experiment has run yet" in page
        assert "same seeded workload" in page and "kept out of this shop's" in page
        assert 'id="lab-progress"' not in page

    def test_shows_the_running_experiment_s_progress_live(self, staff_client):
        running = experiment_row(
            status=Experiment.Status.RUNNING,
            progress={
                "phase": "placing",
                "scenario": "vendors-down",
                "scenario_title": "Vendors down 20 s",
                "scenario_number": 2,
                "scenarios": 2,
                "placed": 37,
                "orders": 100,
                "note": "Vendors unavailable for 20 s (since 12:01:03)",
                "beat": timezone.now().isoformat(),
            },
        )
        page = staff_client.get(LAB_URL).content.decode()
        json_url = reverse("dashboard:experiment_json", kwargs={"pk": running.pk})
        assert f'data-url="{json_url}"' in page and 'data-status="running"' in page
        for text in ("Placing orders", "2 of 2: Vendors down 20 s", "37 of 100", "Vendors unavailable for 20 s"):
            assert text in page
        assert 'id="lab-phases"' in page and "dashboard/lab.js" in page

    def test_staff_without_the_permission_see_the_form_disabled_and_why(self, staff_client):
        page = staff_client.get(LAB_URL).content.decode()
        assert operators.LAB.needed in page
        assert 'disabled aria-describedby="needs-lab"' in page

    def test_an_operator_gets_the_form_enabled_with_every_scenario(self, operator_client):
        page = operator_client.get(LAB_URL).content.decode()
        assert operators.LAB.needed not in page and 'disabled aria-describedby="needs-lab"' not in page
        for name in ("baseline", "vendors-down", "flaky", "slow", "vendor-silent"):
            assert f'value="{name}"' in page
        assert 'name="down_seconds"' in page and 'name="settle_timeout"' in page

    def test_this_shop_s_own_traffic_is_labelled_as_such(self, staff_client):
        page = staff_client.get(LAB_URL).content.decode()
        assert '<h2 id="shop-heading">This shop\'s own traffic</h2>' in page
        assert page.index("Trade-off lab") < page.index("This shop's own traffic") < page.index('id="tradeoffs-curve"')


class TestAnExperimentsPage:
    def test_agrees_with_its_json_on_every_row_and_finding(self, staff_client):
        experiment = finished_experiment()
        response = staff_client.get(reverse("dashboard:experiment", kwargs={"pk": experiment.pk}))
        page = parse_html(response.content.decode())
        data = staff_client.get(reverse("dashboard:experiment_json", kwargs={"pk": experiment.pk})).json()
        assert len(data["results"]["scenarios"]) == 2
        for number, scenario in enumerate(data["results"]["scenarios"], 1):
            assert_in_html(format_html('<h2 id="scenario-{}">{}</h2>', number, scenario["title"]), page)
            for row in scenario["rows"]:
                better = {style: mark_safe(' class="better"' if row["better"] == style else "") for style in STYLES}
                expected = format_html(
                    '<tr data-key="{}"><th scope="row">{}</th><td data-style="event"{}>{}</td>'
                    '<td data-style="command"{}>{}</td><td class="verdict">{}</td></tr>',
                    row["key"], row["label"], better["event"], row["event"],
                    better["command"], row["command"], row["verdict"],
                )  # fmt: skip
                assert_in_html(expected, page)
            for finding in scenario["findings"]:
                assert_in_html(format_html("<li>{}</li>", finding), page)

    def test_escapes_what_the_lab_wrote(self, staff_client):
        experiment = finished_experiment()
        page = staff_client.get(reverse("dashboard:experiment", kwargs={"pk": experiment.pk})).content.decode()
        assert "<b>& more</b>" not in page and "&lt;b&gt;&amp; more&lt;/b&gt;" in page

    def test_shows_what_was_asked_and_the_charts_data(self, staff_client):
        experiment = finished_experiment()
        response = staff_client.get(reverse("dashboard:experiment", kwargs={"pk": experiment.pk}))
        page = response.content.decode()
        for text in ("user:ada", "<code>baseline</code>, <code>vendors-down</code>", "<dd>50</dd>", "<dd>7</dd>"):
            assert text in page
        assert "<dt>Down for (s)</dt><dd>20 s</dd>" in page and "<dd>90 s</dd>" in page
        assert "interleaved: an order of each style at the same moment" in page
        assert response.context["charts"] == [s["charts"] for s in experiment.results["scenarios"]]
        assert 'id="lab-charts"' in page and 'id="lab-chart-1-all"' in page
        json_url = reverse("dashboard:experiment_json", kwargs={"pk": experiment.pk})
        assert f'href="{json_url}" download' in page
        assert 'id="lab-progress"' not in page  # done: nothing to follow

    def test_while_running_shows_progress_and_the_scenarios_finished_so_far(self, staff_client):
        experiment = experiment_row(
            status=Experiment.Status.RUNNING,
            results={"scenarios": [scenario_results("baseline", "Baseline")]},
            progress={
                "phase": "settling",
                "scenario": "vendors-down",
                "settled": 20,
                "beat": timezone.now().isoformat(),
            },
        )
        page = staff_client.get(reverse("dashboard:experiment", kwargs={"pk": experiment.pk})).content.decode()
        assert 'id="lab-progress"' in page and 'data-watch="results"' in page and 'data-scenarios-done="1"' in page
        assert "Waiting for the orders to settle" in page and '<dd data-progress="settled">20</dd>' in page
        assert '<h2 id="scenario-1">Baseline</h2>' in page and "scenario-2" not in page

    def test_a_queued_one_has_nothing_yet(self, staff_client):
        experiment = experiment_row(status=Experiment.Status.QUEUED)
        page = staff_client.get(reverse("dashboard:experiment", kwargs={"pk": experiment.pk})).content.decode()
        assert "Waiting to start" in page and "No scenario has finished yet" in page

    def test_a_failed_one_says_why(self, staff_client):
        experiment = experiment_row(status=Experiment.Status.FAILED, error="No worker cluster is running: <start>")
        page = staff_client.get(reverse("dashboard:experiment", kwargs={"pk": experiment.pk})).content.decode()
        assert 'id="experiment-error"' in page and "No worker cluster is running: &lt;start&gt;" in page
        assert "No scenario finished, so nothing was measured." in page

    def test_an_unknown_one_is_not_found(self, staff_client):
        assert staff_client.get("/dashboard/tradeoffs/experiments/999999/").status_code == 404
        assert staff_client.get("/dashboard/tradeoffs/experiments/999999.json").status_code == 404


class TestAnExperimentsJson:
    def test_carries_everything_the_experiment_wrote_and_is_never_cached(self, staff_client):
        experiment = finished_experiment()
        response = staff_client.get(f"/dashboard/tradeoffs/experiments/{experiment.pk}.json")
        data = response.json()
        assert set(data) == {
            "id", "status", "actor", "parameters", "progress", "results", "error",
            "created_at", "started_at", "finished_at", "done", "stop_requested_by",
        }  # fmt: skip
        expected = (experiment.pk, "finished", "user:ada", True)
        assert (data["id"], data["status"], data["actor"], data["done"]) == expected
        assert data["parameters"] == PARAMETERS and data["results"] == experiment.results
        assert data["created_at"] == experiment.created_at.isoformat()
        assert data["finished_at"] == experiment.finished_at.isoformat()
        assert "no-cache" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]

    def test_of_a_queued_one_says_it_is_not_done(self, staff_client):
        experiment = experiment_row(status=Experiment.Status.QUEUED)
        data = staff_client.get(f"/dashboard/tradeoffs/experiments/{experiment.pk}.json").json()
        assert (data["status"], data["done"], data["started_at"], data["finished_at"]) == ("queued", False, None, None)


class TestStartingOne:
    def test_needs_the_lab_permission(self, staff_client):
        response = staff_client.post(START_URL, VALID)
        assert response.status_code == 403
        assert operators.LAB.needed in response.content.decode()
        assert not Experiment.objects.exists()

    def test_bad_input_is_refused_next_to_its_field(self, operator_client):
        response = operator_client.post(START_URL, {**VALID, "orders": "0"})
        assert response.status_code == 400
        page = response.content.decode()
        assert "Ensure this value is greater than or equal to 1." in page
        assert page.index('name="orders"') < page.index("Ensure this value is greater than or equal to 1.")
        assert page.index("Ensure this value") < page.index('name="seed"')
        assert not Experiment.objects.exists()

    def test_a_setting_without_its_scenario_is_refused(self, operator_client):
        response = operator_client.post(START_URL, {**VALID, "down_seconds": "30"})
        assert response.status_code == 400
        assert "--down-seconds is the vendors-down scenario&#x27;s: add that scenario." in response.content.decode()

    def test_no_scenario_is_refused(self, operator_client):
        response = operator_client.post(START_URL, {**VALID, "scenarios": []})
        assert response.status_code == 400
        assert "This field is required." in response.content.decode()

    def test_while_one_is_running_is_refused_naming_it(self, operator_client):
        running = experiment_row(status=Experiment.Status.RUNNING)
        response = operator_client.post(START_URL, VALID)
        assert response.status_code == 409
        page = response.content.decode()
        link = reverse("dashboard:experiment", kwargs={"pk": running.pk})
        assert f'<a href="{link}">experiment {running.pk}</a>' in page and "one experiment runs at a time" in page
        assert list(Experiment.objects.all()) == [running]

    def test_without_a_csrf_token_is_forbidden(self, operators_group):
        user = get_user_model().objects.create_superuser("admin", "admin@example.com", "x")
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        assert client.post(START_URL, VALID).status_code == 403
        assert not Experiment.objects.exists()

    def test_only_by_post(self, operator_client):
        assert operator_client.get(START_URL).status_code == 405


class TestStoppingOne:
    def test_asks_its_runner_to_stop_in_the_operator_s_name(self, operator_client):
        running = experiment_row(status=Experiment.Status.RUNNING)
        url = reverse("dashboard:experiment", kwargs={"pk": running.pk})
        response = operator_client.post(f"{url}stop/", follow=True)
        assert response.redirect_chain == [(url, 302)]
        running.refresh_from_db()
        assert (running.stop_requested_by, running.status) == ("user:operator", Experiment.Status.RUNNING)
        page = response.content.decode()
        assert f"Experiment {running.pk} stops at its runner" in page
        assert '<dd data-progress="stop">asked by user:operator</dd>' in page

    def test_one_that_ended_has_nothing_to_stop(self, operator_client):
        finished = finished_experiment()
        response = operator_client.post(f"/dashboard/tradeoffs/experiments/{finished.pk}/stop/", follow=True)
        assert "had ended already: nothing to stop" in response.content.decode()
        finished.refresh_from_db()
        assert finished.stop_requested_by == ""

    def test_needs_the_lab_permission_and_a_csrf_token(self, staff_client):
        running = experiment_row(status=Experiment.Status.RUNNING)
        url = f"/dashboard/tradeoffs/experiments/{running.pk}/stop/"
        assert staff_client.post(url).status_code == 403
        admin = Client(enforce_csrf_checks=True)
        admin.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", "x"))
        assert admin.post(url).status_code == 403
        running.refresh_from_db()
        assert running.stop_requested_by == ""

    def test_the_button_is_shown_disabled_to_staff_without_the_permission(self, staff_client, operator_client):
        running = experiment_row(status=Experiment.Status.RUNNING)
        url = reverse("dashboard:experiment", kwargs={"pk": running.pk})
        assert 'disabled aria-describedby="needs-lab-stop"' in staff_client.get(url).content.decode()
        assert 'aria-describedby="needs-lab' not in operator_client.get(url).content.decode()
        lab = staff_client.get(LAB_URL).content.decode()
        assert lab.count(operators.LAB.needed) == 1  # said once, by the start form, for both
        assert lab.count('disabled aria-describedby="needs-lab"') == 2

    def test_an_unknown_one_is_not_found(self, operator_client):
        assert operator_client.post("/dashboard/tradeoffs/experiments/999999/stop/").status_code == 404


@pytest.mark.parametrize(
    "url", [LAB_URL, "/dashboard/tradeoffs/experiments/1/", "/dashboard/tradeoffs/experiments/1.json"]
)
def test_anonymous_visitors_are_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_anonymous_post_starts_nothing(client):
    response = client.post(START_URL, VALID)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Experiment.objects.exists()
