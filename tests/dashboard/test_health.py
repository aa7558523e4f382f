"""The health page and health.json: rates, queue depth, handling times, breakers, paused subscriptions."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

import messaging
from marketplace.dashboard import stats
from messaging import journal, operations
from messaging.claims import delivery_claim_next
from messaging.models import BreakerState, CircuitBreaker, Delivery, DeliveryStatus, JournalEntry, Message, Step
from tests.testapp.contracts import Doomed, DoWork, Ping, Positive, Rejected
from tests.vendors.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGES = ["/dashboard/health/", "/dashboard/health.json"]


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(UserFactory(is_staff=True))
    return client


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
    depth = stats.queue_depth()
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
    count = stats.capped_count(Delivery.objects.filter(status=DeliveryStatus.PENDING), cap=1)
    assert (count.value, count.capped, str(count)) == (1, True, "1+")
    assert str(stats.capped_count(Delivery.objects.all(), cap=5)) == "2"


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
    rows = {row.context: row for row in stats.breakers(now=now)}
    assert {"orders", "vendors", "messaging", "tests"} <= set(rows)
    assert (rows["vendors"].state, rows["vendors"].consecutive_failures, rows["vendors"].awaiting_probe) == (
        "open",
        5,
        False,
    )
    assert rows["orders"].awaiting_probe  # cool-down over: the next claim probes it
    assert (rows["tests"].state, rows["tests"].state_label) == ("closed", "Closed")


def test_paused_subscriptions_are_listed_with_their_context(staff_client):
    operations.subscription_pause("tests.ping_a", actor="user:operator")
    operations.subscription_pause("tests.ping_b", actor="user:operator")
    operations.subscription_resume("tests.ping_b", actor="user:operator")
    assert [(p.handler, p.context) for p in stats.paused_subscriptions()] == [("tests.ping_a", "tests")]
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
    assert '<span class="badge open">open</span>' in page
    assert 'id="health-initial"' in page
    assert "vendor/uplot-1.6.32/uPlot.iife.min.js" in page
    assert "dashboard/charts.js" in page
