"""/healthz: the process is alive, from the process alone. /readyz: it may take traffic, and why not.

/readyz asks each dependency in a thread of its own, on a connection of its own: its tests use
``transactional_db`` (what they write is committed, as another process's rows are), and real processes
where it matters: a sweeper, a daphne whose database and Redis are down.
"""

import json
import socket
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import messaging
from marketplace import probes
from marketplace.probes import PROBE_SECONDS
from messaging import selectors
from messaging.models import Delivery
from tests.processes import ManagedProcess, free_port, wait_until
from tests.testapp.contracts import Positive

DAPHNE = str(Path(sys.executable).parent / "daphne")


def checks(response) -> dict[str, dict]:
    return response.json()["checks"]


def failing(response) -> set[str]:
    return {name for name, check in checks(response).items() if check["status"] == "fail"}


def test_healthz_answers_from_the_process_alone(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):  # no session, no user, no cache table
        response = client.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_readyz_is_ready_while_a_sweeper_runs_and_not_once_it_stopped(sweeper, client):
    ready = wait_until(lambda: (r := client.get("/readyz")).status_code == 200 and r, message="/readyz 200")

    assert ready.json()["status"] == "ok"
    seen = checks(ready)["sweeper"]
    assert (seen["status"], seen["threshold"], seen["unit"]) == ("ok", 60, "s")
    assert 0 <= seen["observed"] <= 60
    assert seen["detail"].startswith("sweeper ") and f"pid {sweeper.process.pid} beat " in seen["detail"]
    assert {"database", "cache", "sweeper", "oldest_due"} <= set(checks(ready))
    assert client.head("/readyz").status_code == 200

    sweeper.stop()  # it says so on its way out
    stopped = client.get("/readyz")

    assert stopped.status_code == 503
    assert failing(stopped) == {"sweeper"}
    assert checks(stopped)["sweeper"]["detail"].endswith(f"pid {sweeper.process.pid}) is stopped")


def test_readyz_is_not_ready_before_any_sweeper_ran(client, transactional_db):
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["status"] == "fail"
    assert failing(response) == {"sweeper"}
    assert checks(response)["sweeper"]["detail"] == "no sweeper running: none has run here"
    assert checks(response)["database"]["detail"].startswith("database answered in ")
    assert checks(response)["oldest_due"]["detail"] == "nothing is due"


def test_readyz_logs_when_the_process_becomes_not_ready_not_at_every_probe(
    client, transactional_db, caplog, monkeypatch
):
    monkeypatch.setattr(probes, "_failing", None)  # a process that has not answered a probe yet

    client.get("/readyz")
    client.get("/readyz")

    logged = [(record.name, record.levelname, record.getMessage()) for record in caplog.records]
    assert logged == [("marketplace.probes", "WARNING", "not ready: no sweeper running: none has run here")]


def test_readyz_is_not_ready_while_a_due_delivery_waits_too_long(client, transactional_db, settings, wakeups_purged):
    settings.READY_SWEEPER_SEEN_SECONDS = 1e9  # no sweeper in this test: only the delivery is judged
    waiting = messaging.publish(Positive(number=1))
    Delivery.objects.filter(message_id=waiting).update(available_at=timezone.now() - timedelta(seconds=400))

    response = client.get("/readyz")

    assert response.status_code == 503
    assert failing(response) == {"sweeper", "oldest_due"}
    late = checks(response)["oldest_due"]
    assert (late["threshold"], late["unit"]) == (300, "s")
    assert 400 <= late["observed"] < 460
    assert late["detail"].startswith("oldest due delivery waited 4")
    assert late["detail"].endswith(f" > 300s (delivery {Delivery.objects.get(message_id=waiting).pk}, tests.positive)")

    settings.READY_OLDEST_DUE_SECONDS = 900
    assert "oldest_due" not in failing(client.get("/readyz"))


def test_readyz_reads_a_handful_of_rows_and_never_the_journal(transactional_db):
    with CaptureQueriesContext(connection) as queries:
        health = selectors.readiness()  # in this thread, to count its queries

    assert [check.name for check in health.checks][:3] == ["database", "sweeper", "oldest_due"]
    assert len(queries) <= 12, [q["sql"] for q in queries]
    assert not [q for q in queries if "journal" in q["sql"]]


@pytest.fixture
def silent_server():
    """A TCP port that takes connections and never answers: a Redis that hangs."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"


def test_readyz_is_not_ready_when_the_cache_is_down(client, transactional_db, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }

    response = client.get("/readyz")

    assert response.status_code == 503
    assert "cache" in failing(response)
    assert checks(response)["cache"]["detail"].startswith("cache: ConnectionError: ")
    assert "database" not in failing(response)


def test_readyz_answers_in_time_when_the_cache_hangs(client, transactional_db, settings, silent_server):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": silent_server}}

    started = time.monotonic()
    response = client.get("/readyz")
    took = time.monotonic() - started

    assert response.status_code == 503
    assert checks(response)["cache"]["detail"] == f"cache: no answer within {PROBE_SECONDS:g}s"
    assert PROBE_SECONDS <= took < PROBE_SECONDS + 1
    assert checks(response)["database"]["status"] == "ok"


@pytest.mark.parametrize("server", ["broker", "channel_layer"])
def test_readyz_pings_a_redis_of_their_own_for_the_broker_and_the_channel_layer(
    server, client, transactional_db, settings
):
    down = f"redis://127.0.0.1:{free_port()}/0"
    if server == "broker":
        settings.Q_CLUSTER = {**settings.Q_CLUSTER, "redis": down}
    else:
        layer = "channels_redis.pubsub.RedisPubSubChannelLayer"
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": layer, "CONFIG": {"hosts": [down]}}}

    response = client.get("/readyz")

    assert response.status_code == 503
    assert server in failing(response)
    assert checks(response)[server]["detail"].startswith(f"{server} unreachable: ConnectionError: ")


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_readyz_gives_up_on_a_locked_table_within_its_statement_timeout(client, transactional_db):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE messaging_delivery IN ACCESS EXCLUSIVE MODE")  # as a migration would
        started = time.monotonic()
        response = client.get("/readyz")
        took = time.monotonic() - started

    assert response.status_code == 503
    assert "canceling statement due to statement timeout" in checks(response)["oldest_due"]["detail"]
    assert took < PROBE_SECONDS


def test_probes_are_not_redirected_to_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True  # behind a TLS proxy: a kubelet probes over plain HTTP

    assert client.get("/").status_code == 301
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code in (200, 503)


@pytest.fixture
def web_without_services(transactional_db, tmp_path):
    """A real daphne whose database and Redis (cache, broker, channel layer) are not there; its address."""
    if connection.vendor == "postgresql":
        database = f"postgres://postgres@127.0.0.1:{free_port()}/marketplace"
    else:
        database = f"sqlite:///{tmp_path / 'no-such-directory' / 'db.sqlite3'}"
    port = free_port()
    env = {"DATABASE_URL": database, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "DJANGO_ALLOW_ASYNC_UNSAFE": ""}
    process = ManagedProcess("-b", "127.0.0.1", "-p", str(port), "marketplace.asgi:application",
                             program=[DAPHNE], env=env, log=tmp_path / "daphne.log")  # fmt: skip
    try:
        wait_until(lambda: _answers_healthz(port) or not process.alive(), message="daphne")
        assert process.alive(), process.output()[-3000:]
        yield f"http://127.0.0.1:{port}"
    finally:
        process.stop()
        print(process.output()[-3000:])


def _answers_healthz(port: int) -> bool:
    try:
        return get(f"http://127.0.0.1:{port}/healthz")[0] == 200
    except OSError:
        return False


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_with_its_database_and_redis_down_the_process_is_alive_but_not_ready(web_without_services):
    assert get(f"{web_without_services}/healthz") == (200, {"status": "ok"})

    started = time.monotonic()
    status, body = get(f"{web_without_services}/readyz")
    took = time.monotonic() - started

    assert status == 503
    assert took < PROBE_SECONDS + 1
    failed = {name for name, check in body["checks"].items() if check["status"] == "fail"}
    assert {"database", "cache", "sweeper", "oldest_due"} <= failed
    print(json.dumps(body, indent=2))
