"""The health page and health.json: rates, queue depth, handling times, breakers, paused subscriptions, workers."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

import messaging
from marketplace.dashboard import stats
from marketplace.templatetags.marketplace_time import absolute
from messaging import selectors
from messaging.models import (
    BreakerState,
    CircuitBreaker,
    Delivery,
    DeliveryStatus,
    JournalEntry,
    Message,
    ProcessHeartbeat,
    ProcessKind,
    ProcessState,
    Step,
    WatchdogState,
)
from messaging.operations import actions as operations
from messaging.processes import watchdog
from messaging.processes.heartbeat import Heartbeat
from messaging.runtime import journal
from messaging.runtime.claims import delivery_claim_next
from messaging.runtime.conf import messaging_settings
from tests.testapp.contracts import Doomed, DoWork, Ping, Positive, Rejected
from tests.vendors.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGES = ["/dashboard/health/", "/dashboard/health.json"]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_and_non_staff_users_are_sent_to_log_in(url):
    anonymous = Client()
    customer = Client()
    customer.force_login(UserFactory(is_staff=False))
    for client in (anonymous, customer):
        response = client.get(url)
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize("url", PAGES)
def test_staff_see_the_numbers(staff_client, url):
    assert staff_client.get(url).status_code == 200


def test_messages_per_second_are_counted_by_kind_in_one_second_buckets():
    # given messages written at known moments: 3 events and a command in the window, one event long before
    now = datetime(2026, 11, 26, 12, 0, 0, 500_000, tzinfo=UTC)
    end = int(now.timestamp())
    moments = {
        messaging.publish(Ping(key="a")): end - 5 + 0.1,
        messaging.publish(Ping(key="b")): end - 5 + 0.9,
        messaging.publish(Ping(key="c")): end - 3,
        messaging.send(DoWork(key="d")): end - 3 + 0.5,
        messaging.publish(Ping(key="old")): end - 500,
        messaging.publish(Ping(key="now")): end + 0.2,  # the current second is not complete: left out
    }
    for message_id, moment in moments.items():
        Message.objects.filter(pk=message_id).update(created_at=datetime.fromtimestamp(moment, tz=UTC))
    # when the last 10 seconds are read
    rates = stats.message_rates(now=now, seconds=10)
    # then each second has its count, oldest first, the current second left out
    assert rates["t"] == list(range(end - 10, end))
    assert rates["event"] == [0, 0, 0, 0, 0, 2, 0, 1, 0, 0]
    assert rates["command"] == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0]


def test_health_json_carries_the_rates_and_the_queue(staff_client):
    messaging.publish(Ping(key="a"))  # two subscribers: two waiting deliveries
    data = staff_client.get("/dashboard/health.json?seconds=30").json()
    assert len(data["rates"]["t"]) == len(data["rates"]["event"]) == len(data["rates"]["command"]) == 30
    assert data["queue"] == {"waiting": 2, "delayed": 0, "in_progress": 0, "retry_scheduled": 0, "dead": 0}
    assert data["queue_capped"] == []


def test_queue_depth_counts_waiting_running_retrying_and_dead_deliveries(run_deliveries):
    # given a dead letter, a delivery waiting for a delayed retry (and its sibling done), one leased, two waiting
    # and one sent with a delay
    messaging.publish(Rejected(key="r"))  # dead at once
    messaging.publish(Doomed(key="d"))  # one subscriber fails every time, the other succeeds
    run_deliveries()
    messaging.publish(Positive(number=1))
    claim = delivery_claim_next(actor="test")
    assert claim.delivery.handler == "tests.positive"
    messaging.publish(Ping(key="p"))
    messaging.send(DoWork(key="later"), delay=60)
    # then
    depth = selectors.queue_depth()
    assert {name: count.value for name, count in depth.items()} == {
        "waiting": 2,
        "delayed": 1,
        "in_progress": 1,
        "retry_scheduled": 1,
        "dead": 1,
    }
    assert not any(count.capped for count in depth.values())


def test_a_count_stops_at_its_cap():
    messaging.publish(Ping(key="a"))
    count = selectors.capped_count(Delivery.objects.filter(status=DeliveryStatus.PENDING), cap=1)
    assert (count.value, count.capped, str(count)) == (1, True, "1+")
    assert str(selectors.capped_count(Delivery.objects.all(), cap=5)) == "2"


def _attempt(handler: str, step: str, duration_ms: float, *, at: datetime) -> JournalEntry:
    return JournalEntry(at=at, step=step, handler=handler, attempt=1, duration_ms=duration_ms, context="tests")


def test_handling_times_are_p50_and_p95_of_the_last_hours_attempts(run_deliveries):
    now = timezone.now()
    # given an attempt two hours ago (not counted), then 100 attempts of 1..100 ms, 10 of them failed
    journal.append(_attempt("tests.ping_a", Step.SUCCEEDED, 9999.0, at=now - timedelta(hours=2)))
    journal.append(
        *[
            _attempt("tests.ping_a", Step.FAILED if ms % 10 == 0 else Step.SUCCEEDED, float(ms), at=now)
            for ms in range(1, 101)
        ]
    )
    # and a real run of another handler, whose start and publish entries carry no duration
    messaging.publish(Positive(number=3))
    run_deliveries()
    timings = {t.handler: t for t in stats.handling_times(now=now + timedelta(seconds=1))}
    ping = timings["tests.ping_a"]
    assert (ping.runs, ping.failed, ping.p50_ms, ping.p95_ms, ping.max_ms) == (100, 10, 50.0, 95.0, 100.0)
    assert ping.context == "tests"
    assert timings["tests.positive"].runs == 1
    assert set(timings) == {"tests.ping_a", "tests.positive"}


def test_handling_times_read_at_most_the_newest_sample():
    now = timezone.now()
    journal.append(*[_attempt("tests.ping_a", Step.SUCCEEDED, float(ms), at=now) for ms in range(1, 11)])
    (ping,) = stats.handling_times(now=now, sample=4)
    assert (ping.runs, ping.p50_ms, ping.max_ms) == (4, 8.0, 10.0)  # 7..10 ms, the newest four


def test_every_context_has_a_breaker_row_closed_unless_it_failed():
    now = timezone.now()
    CircuitBreaker.objects.create(
        context="vendors", state=BreakerState.OPEN, consecutive_failures=5, open_until=now + timedelta(seconds=30)
    )
    CircuitBreaker.objects.create(
        context="orders", state=BreakerState.OPEN, consecutive_failures=6, open_until=now - timedelta(seconds=1)
    )
    rows = {row.context: row for row in selectors.breakers(now=now)}
    assert {"orders", "vendors", "messaging", "tests"} <= set(rows)
    assert (rows["vendors"].state, rows["vendors"].consecutive_failures, rows["vendors"].awaiting_probe) == (
        "open",
        5,
        False,
    )
    assert rows["orders"].awaiting_probe  # cool-down over: the next claim probes it
    assert (rows["tests"].state, rows["tests"].state_label) == ("closed", "Closed")


def test_paused_handlers_are_listed_with_their_context(staff_client):
    operations.handler_pause("tests.ping_a", actor="user:operator")
    operations.handler_pause("tests.ping_b", actor="user:operator")
    operations.handler_resume("tests.ping_b", actor="user:operator")
    assert [(p.handler, p.context) for p in selectors.paused_handlers()] == [("tests.ping_a", "tests")]
    page = staff_client.get("/dashboard/health/").content.decode()
    assert "tests.ping_a" in page
    assert "tests.ping_b" not in page


def test_the_page_shows_the_figures_breakers_and_handlers(staff_client, run_deliveries):
    messaging.publish(Rejected(key="r"))
    run_deliveries()
    CircuitBreaker.objects.create(
        context="vendors",
        state=BreakerState.OPEN,
        consecutive_failures=5,
        open_until=timezone.now() + timedelta(seconds=30),
    )
    response = staff_client.get("/dashboard/health/")
    page = response.content.decode()
    assert response.context["queue"]["dead"].value == 1
    assert '<strong id="figure-dead">1</strong>' in page
    assert "tests.rejected" in page  # its failed attempt's handling time
    assert '<span class="badge open">Open</span>' in page
    assert 'id="health-initial"' in page
    assert "vendor/uplot-1.6.32/uPlot.iife.min.js" in page
    assert "dashboard/charts.js" in page


# --- Workers: every messaging process by its heartbeat, and the watchdog ------------------------------------------


def beating(kind=ProcessKind.CLUSTER, state=ProcessState.RUNNING, *, beat_ago=None, host=None, **fields) -> str:
    """A process's heartbeat row, as the process writes it (its last beat ``beat_ago`` ago); its id."""
    heartbeat = Heartbeat(kind)
    heartbeat.host = host or heartbeat.host
    heartbeat.beat(state, **fields)
    if beat_ago is not None:
        ProcessHeartbeat.objects.filter(pk=heartbeat.id).update(beat_at=timezone.now() - beat_ago)
    return str(heartbeat.id)


def _text(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", markup)).split())


def worker_rows(page: str) -> dict[str, tuple[str, list[str]]]:
    """The workers panel's rows by process id: the row's attributes and each cell's text."""
    body = re.search(r'<tbody id="workers-rows">(.*?)</tbody>', page, re.S).group(1)
    rows = re.findall(r'<tr data-process="([^"]+)"([^>]*)>(.*?)</tr>', body, re.S)
    return {
        pid: (attrs, [_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)])
        for pid, attrs, cells in rows
    }


def shown(page: str, element_id: str) -> str | None:
    """The text of the element with ``element_id`` if it is shown (not ``hidden``), else None."""
    found = re.search(rf'<(\w+) id="{element_id}"([^>]*)>(.*?)</\1>', page, re.S)
    assert found, f"no #{element_id} on the page"
    return None if re.search(r"\bhidden\b", found.group(2)) else _text(found.group(3))


def test_the_workers_panel_lists_each_process_live_ones_first_with_its_numbers(staff_client):
    # given a silent cluster, a live sweeper, and a live cluster: 4 workers, 2 busy, 3 wake-ups in hand, restarted once
    silent = beating(beat_ago=timedelta(minutes=5))
    sweeper = beating(ProcessKind.SWEEPER)
    cluster = beating(
        workers=4, busy=2, queued=3, last_task_at=timezone.now() - timedelta(seconds=7), restarts=1,
        detail="wedged: 3 wake-ups waited 30s while every worker idled",
    )  # fmt: skip
    ProcessHeartbeat.objects.filter(pk=cluster).update(beat_at=timezone.now() - timedelta(seconds=3))
    # when the health page is read
    page = staff_client.get("/dashboard/health/").content.decode()
    # then the live ones come first, each with its numbers
    rows = worker_rows(page)
    assert list(rows) == [cluster, sweeper, silent]
    attrs, cells = rows[cluster]
    host = f"{ProcessHeartbeat.objects.get(pk=cluster).host}:{ProcessHeartbeat.objects.get(pk=cluster).pid}"
    assert cells == ["cluster", host, "running", "3 s ago", "4 / 2", "3", "7 s ago", "1",
                     "wedged: 3 wake-ups waited 30s while every worker idled"]  # fmt: skip
    assert "trouble" not in attrs
    assert rows[sweeper][1][:4] == ["sweeper", host, "running", "0 s ago"]
    assert rows[sweeper][1][4:7] == ["—", "—", "—"]  # a sweeper has no workers of its own
    # and with a live cluster and a sweeper, no warning line
    assert shown(page, "workers-no-cluster") is None
    assert shown(page, "workers-no-sweeper") is None


def test_a_process_whose_heartbeat_stopped_is_marked_silent_before_and_after_a_sweeper_says_so(staff_client):
    # given a cluster that says it runs but last beat 40 s ago (longer than silent_after)
    gone = beating(beat_ago=timedelta(seconds=40), workers=2)
    # then it is shown silent, in words, though no sweeper declared it yet
    attrs, cells = worker_rows(staff_client.get("/dashboard/health/").content.decode())[gone]
    assert (cells[2], cells[3]) == ("silent", "40 s ago")
    assert "trouble" in attrs
    # when a sweeper's watchdog declares it silent
    watchdog.processes_silence(timezone.now(), actor="test")
    # then it stays silent, with the watchdog's words
    attrs, cells = worker_rows(staff_client.get("/dashboard/health/").content.decode())[gone]
    assert cells[2] == "silent"
    assert "has been silent for 40s" in cells[-1]


def test_with_no_live_cluster_the_panel_says_deliveries_wait_and_with_no_sweeper_who_sweeps(staff_client):
    # given a silent cluster and nothing else
    beating(beat_ago=timedelta(minutes=2))
    page = staff_client.get("/dashboard/health/").content.decode()
    # then
    assert shown(page, "workers-no-cluster") == (
        "No worker cluster is running: deliveries wait (start manage.py qcluster)."
    )
    assert "expired leases and stalls are then handled by the clusters' own sweeps only" in shown(
        page, "workers-no-sweeper"
    )
    # and when a cluster runs, the first line goes, the second stays
    beating()
    page = staff_client.get("/dashboard/health/").content.decode()
    assert shown(page, "workers-no-cluster") is None
    assert shown(page, "workers-no-sweeper") is not None


def test_the_watchdog_line_says_flowing_or_stalled_since_when_with_the_watchdogs_detail(staff_client):
    # given nothing stalled
    page = staff_client.get("/dashboard/health/").content.decode()
    assert shown(page, "watchdog-flowing").startswith("Watchdog: Flowing")
    assert shown(page, "watchdog-stalled") is None
    # when a delivery stays due for over stall_after with no cluster to take it, and a sweeper's watchdog looks
    messaging.publish(Positive(number=1))
    at = timezone.now() + timedelta(seconds=messaging_settings().stall_after + 10)
    assert watchdog.stall_check(at, actor="test")
    state = WatchdogState.objects.get(pk=1)
    assert state.detail.startswith("deliveries due for over")
    # then the page says so prominently (an alert), from when, and why
    page = staff_client.get("/dashboard/health/").content.decode()
    assert shown(page, "watchdog-flowing") is None
    assert shown(page, "watchdog-stalled") == (
        f"STALLED since {absolute(at)}: {state.detail} — the sweeper runs due deliveries itself meanwhile"
    )
    assert re.search(r'<p id="watchdog-stalled" role="alert"', page)


def test_health_json_carries_the_processes_and_the_watchdog(staff_client):
    # given a live cluster, a silent sweeper and a stall
    cluster = beating(workers=2, busy=1, queued=5, restarts=2, detail="wedged")
    sweeper = beating(ProcessKind.SWEEPER, beat_ago=timedelta(seconds=80))
    since = datetime(2026, 11, 26, 9, 5, 7, tzinfo=UTC)
    WatchdogState.objects.create(pk=1, stalled_since=since, detail="deliveries due for over 20s")
    # when health.json is polled
    data = staff_client.get("/dashboard/health.json").json()
    # then
    assert [(p["id"], p["kind"], p["live"], p["shown_state"]) for p in data["processes"]] == [
        (cluster, "cluster", True, "running"),
        (sweeper, "sweeper", False, "silent"),
    ]
    first = data["processes"][0]
    assert {key: first[key] for key in ("workers", "busy", "queued", "restarts", "detail", "last_task_ago")} == {
        "workers": 2, "busy": 1, "queued": 5, "restarts": 2, "detail": "wedged", "last_task_ago": None,
    }  # fmt: skip
    assert data["processes"][1]["beat_ago"] == "80 s ago"
    assert (data["clusters_live"], data["sweepers_live"]) == (1, 0)
    assert data["watchdog"] == {
        "stalled": True,
        "stalled_since": since.isoformat(),
        "stalled_since_clock": "09:05:07",
        "stalled_since_text": absolute(since),
        "detail": "deliveries due for over 20s",
    }


def test_host_names_and_details_from_the_database_are_escaped(staff_client):
    beating(host="<script>alert('host')</script>", detail="<img src=x onerror=alert('detail')>")
    WatchdogState.objects.create(pk=1, stalled_since=timezone.now(), detail="<script>alert('stall')</script>")
    page = staff_client.get("/dashboard/health/").content.decode()
    assert "<script>alert(" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(&#x27;host&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(&#x27;detail&#x27;)&gt;" in page
    assert "&lt;script&gt;alert(&#x27;stall&#x27;)&lt;/script&gt;" in page


def test_a_heartbeats_age_reads_in_the_unit_a_reader_needs():
    assert [stats.ago(s) for s in (None, -0.4, 3.2, 89, 90, 3599, 5400, 7300)] == [
        None, "0 s ago", "3 s ago", "89 s ago", "2 min ago", "60 min ago", "2 h ago", "2 h ago",
    ]  # fmt: skip


def test_health_json_carries_the_breakers_paused_handlers_and_handling_times(staff_client, run_deliveries):
    # given a failed attempt, an open breaker and a paused handler
    messaging.publish(Rejected(key="r"))
    run_deliveries()
    open_until = timezone.now() + timedelta(seconds=30)
    CircuitBreaker.objects.create(
        context="vendors", state=BreakerState.OPEN, consecutive_failures=6, open_until=open_until
    )
    operations.handler_pause("tests.ping_a", actor="user:operator")
    # when the page polls
    numbers = staff_client.get("/dashboard/health.json").json()
    # then its tables can be redrawn from the answer
    vendors = next(b for b in numbers["breakers"] if b["context"] == "vendors")
    assert (vendors["state"], vendors["consecutive_failures"], vendors["open_until"]) == (
        "open",
        6,
        open_until.isoformat(),
    )
    assert [(p["handler"], p["context"]) for p in numbers["paused"]] == [("tests.ping_a", "tests")]
    rejected = next(t for t in numbers["timings"] if t["handler"] == "tests.rejected")
    assert rejected["failed"] == 1 and rejected["p95_ms"] >= 0


def test_the_next_probe_and_the_pause_read_as_relative_times_with_the_moment_on_hover(staff_client):
    CircuitBreaker.objects.create(
        context="vendors",
        state=BreakerState.OPEN,
        consecutive_failures=6,
        open_until=timezone.now() + timedelta(seconds=30),
    )
    page = staff_client.get("/dashboard/health/").content.decode()
    assert re.search(
        r'<time datetime="[^"]+" title="\d+ \w{3} \d{4}, \d\d:\d\d:\d\d UTC" data-relative>in \d+ s</time>', page
    )
