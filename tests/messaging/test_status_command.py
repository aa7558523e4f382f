"""messaging_status: queue depth, dead letters, the oldest waiting delivery, breakers, pauses and workers."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

import messaging
from messaging.models import BreakerState, CircuitBreaker, Delivery, HandlerState
from tests.messaging.replay_helpers import dead_lettered, run_command
from tests.processes import wait_until
from tests.testapp.contracts import Ping, Positive


@pytest.fixture
def busy_messaging(db, run_deliveries):
    """2 succeeded, 1 pending (overdue by a minute), 3 dead, a vendors breaker open, tests.ping_a paused."""
    messaging.publish(Ping(key="done"))
    run_deliveries()
    waiting = messaging.publish(Positive(number=1))
    Delivery.objects.filter(message_id=waiting).update(available_at=timezone.now() - timedelta(minutes=1))
    dead_lettered(Ping(key="lost"))
    dead_lettered(Positive(number=2))
    CircuitBreaker.objects.create(
        context="vendors", state=BreakerState.OPEN, consecutive_failures=5, open_until=timezone.now()
    )
    HandlerState.objects.create(handler="tests.ping_a", paused=True)
    return waiting


def test_the_status_says_what_waits_what_is_dead_and_what_is_held_back(busy_messaging):
    lines = run_command("messaging_status").splitlines()

    assert lines[0] == "Deliveries: pending 1, running 0, failed 0, succeeded 2, dead 3"
    assert lines[1].startswith(f"Oldest waiting: delivery {Delivery.objects.get(message_id=busy_messaging).pk}, ")
    assert "tests.Positive -> tests.positive (pending, 0 attempts so far), due 6" in lines[1]
    assert lines[1].endswith("s ago")
    assert lines[2] == "Dead letters: 3 by type and handler:"
    assert [line.split("  (since")[0] for line in lines[3:6]] == [
        "        1  tests.Ping -> tests.ping_a",
        "        1  tests.Ping -> tests.ping_b",
        "        1  tests.Positive -> tests.positive",
    ]
    assert lines[6] == "Circuit breakers: "
    assert lines[7].startswith("  vendors: open, 5 consecutive failures, until ")
    assert lines[8] == "Paused handlers: tests.ping_a"
    assert lines[9] == "Anomalies: none"
    assert lines[10] == "Watchdog: ok"
    assert lines[11] == "Workers: none seen in the last few seconds (is `manage.py qcluster` running?)"


def test_json_for_scripts(busy_messaging):
    status = json.loads(run_command("messaging_status", "--json"))

    assert status["deliveries"] == {"pending": 1, "running": 0, "failed": 0, "succeeded": 2, "dead": 3}
    assert [(row["type"], row["handler"], row["count"]) for row in status["dead_letters"]] == [
        ("tests.Ping", "tests.ping_a", 1),
        ("tests.Ping", "tests.ping_b", 1),
        ("tests.Positive", "tests.positive", 1),
    ]
    assert status["oldest_waiting"]["message_id"] == str(busy_messaging)
    assert 59 < status["oldest_waiting"]["overdue_seconds"] < 120
    assert [(b["context"], b["state"]) for b in status["breakers"]] == [("vendors", "open")]
    assert status["paused"] == ["tests.ping_a"]
    assert (status["workers"], status["wakeups_queued"]) == ([], 0)


@pytest.mark.django_db
def test_an_idle_system_says_so():
    lines = run_command("messaging_status").splitlines()

    assert lines[:5] == [
        "Deliveries: pending 0, running 0, failed 0, succeeded 0, dead 0",
        "Oldest waiting: none, nothing waits",
        "Dead letters: 0",
        "Circuit breakers: all closed, no failures counted",
        "Paused handlers: none",
    ]


@pytest.mark.cluster
def test_a_running_cluster_is_seen_with_its_workers(qcluster):
    def this_cluster():  # (a cluster stopped a moment ago may still be in the stats, until they expire)
        status = json.loads(run_command("messaging_status", "--json"))
        return next((c for c in status["workers"] if c["pid"] == qcluster.process.pid), None)

    cluster = wait_until(this_cluster, message="the cluster in the status")

    assert len(cluster["workers"]) == 2
    assert cluster["status"] in ("Idle", "Working")
    text = run_command("messaging_status")
    assert f"pid {qcluster.process.pid}: " in text
