"""The checks of ``health``: each reads one dependency or one number, never the journal.

The database answers a trivial query; on PostgreSQL that query sets the session's statement timeout to
``ANSWER_SECONDS`` for the reads that follow, so a table held by a long lock (a migration, a VACUUM FULL)
fails them instead of holding the probe. Then, on the database's clock: a sweeper beat recently, the oldest
delivery that may run now has not waited too long, and for monitoring the dead letters, the watchdog and
the live clusters, each an index or a row per process. The cache keeps a value and gives it back, and each
other Redis in use (django-q2's broker, any server a caller names) answers a ping.
"""

import os
import socket
import threading
import uuid
from collections.abc import Callable
from contextlib import suppress
from time import perf_counter

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from messaging.models import Delivery, DeliveryStatus, ProcessHeartbeat, ProcessKind, WatchdogState
from messaging.operations.health import ANSWER_SECONDS, Check, Dependency, Limits, answered_in, one_line
from messaging.processes import watchdog
from messaging.runtime import clock
from messaging.runtime.claims import due_deliveries
from messaging.runtime.conf import messaging_settings

DEAD_LETTERS_COUNT_CAP = 100_000  # counted up to this, through the (status, id) index


def readiness(limits: Limits, *, redis: dict[str, str] | None = None) -> list[Dependency]:
    """Database, cache, broker, a sweeper seen, the oldest due delivery; ``redis``: more servers to ping, by name."""
    read = {"sweeper": sweeper_seen, "oldest_due": oldest_due}
    return [database_dependency(limits, read), cache_dependency(), *redis_dependencies(redis or {})]


def monitoring(limits: Limits) -> list[Dependency]:
    """Readiness, and the dead letters, the watchdog and the live clusters."""
    read = {"sweeper": sweeper_seen, "oldest_due": oldest_due, "dead_letters": dead_letters,
            "watchdog": watchdog_flowing, "clusters": clusters_live}  # fmt: skip
    return [database_dependency(limits, read), cache_dependency(), *redis_dependencies({})]


def database_dependency(limits: Limits, read: dict[str, Callable]) -> Dependency:
    """The database answers; then what is read from it, on its clock, each statement within ANSWER_SECONDS."""

    def run() -> list[Check]:
        answered = database()
        if not answered.ok:
            return [answered, *(Check(name, False, f"{name}: not read, the database does not answer") for name in read)]
        try:
            now = clock.now()  # the clock heartbeats and due times are written on
            return [answered, *(_guarded(name, check, now, limits) for name, check in read.items())]
        finally:
            _statement_timeout_reset()

    return Dependency("database", ("database", *read), run)


def database() -> Check:
    started = perf_counter()
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config('statement_timeout', %s, false)", [f"{ANSWER_SECONDS * 1000:.0f}ms"])
            else:
                cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return Check("database", False, f"database unreachable: {one_line(error)}", unit="ms")
    return answered_in("database", started)


def _statement_timeout_reset() -> None:
    """The session's own statement timeout again: a pooled connection serves other requests next."""
    if connection.vendor == "postgresql":
        with suppress(Exception), connection.cursor() as cursor:  # a broken connection is dropped, setting and all
            cursor.execute("RESET statement_timeout")


def _guarded(name: str, check: Callable, *args) -> Check:
    try:
        return check(*args)
    except Exception as error:  # a query that fails is the answer, not a crash
        return Check(name, False, f"{name}: {one_line(error)}")


def cache_dependency() -> Dependency:
    return Dependency("cache", ("cache",), lambda: [_guarded("cache", cache_round_trip)])


def cache_round_trip() -> Check:
    """Django's cache (Redis with REDIS_URL, else a table) keeps a value and gives it back."""
    key = f"messaging:health:{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    written = uuid.uuid4().hex
    started = perf_counter()
    cache.set(key, written, timeout=60)
    read = cache.get(key)
    if read != written:
        return Check("cache", False, f"cache: wrote a value and read back {read!r}")
    return answered_in("cache", started)


def redis_dependencies(more: dict[str, str]) -> list[Dependency]:
    """A ping for each Redis server in use (django-q2's broker, ``more``) that the cache's round trip does not reach."""
    servers = {"broker": settings.Q_CLUSTER.get("redis"), **more}
    reached = {_redis_location(settings.CACHES["default"])}
    dependencies = []
    for name, url in servers.items():
        if isinstance(url, str) and url not in reached:
            reached.add(url)
            dependencies.append(Dependency(name, (name,), lambda name=name, url=url: [redis_ping(name, url)]))
    return dependencies


def redis_ping(name: str, url: str) -> Check:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=ANSWER_SECONDS, socket_connect_timeout=ANSWER_SECONDS)
    started = perf_counter()
    try:
        client.ping()
    except Exception as error:
        return Check(name, False, f"{name} unreachable: {one_line(error)}", unit="ms")
    finally:
        client.close()
    return answered_in(name, started)


def sweeper_seen(now, limits: Limits) -> Check:
    """The newest heartbeat of a sweeper that says it runs, at most ``limits.sweeper_silence`` old."""
    limit = limits.sweeper_silence
    sweepers = ProcessHeartbeat.objects.filter(kind=ProcessKind.SWEEPER).order_by("-beat_at")
    running = sweepers.filter(state__in=watchdog.LIVE_STATES).first()
    if running is None:
        last = sweepers.first()
        why = f"the last one ({last.host} pid {last.pid}) is {last.state}" if last else "none has run here"
        return Check("sweeper", False, f"no sweeper running: {why}", None, limit, "s")
    silence = round((now - running.beat_at).total_seconds(), 1)
    if silence > limit:
        return Check("sweeper", False, f"no sweeper seen for {silence:.0f}s > {limit:g}s", silence, limit, "s")
    seen = f"sweeper {running.host} pid {running.pid} beat {silence:g}s ago"
    return Check("sweeper", True, seen, silence, limit, "s")


def oldest_due(now, limits: Limits) -> Check:
    """How long the oldest delivery that may run now has waited (paused handlers and open breakers wait by choice)."""
    limit = limits.oldest_due
    due = due_deliveries(now).order_by("available_at").values_list("pk", "handler", "available_at").first()
    if due is None:
        return Check("oldest_due", True, "nothing is due", None, limit, "s")
    pk, handler, available_at = due
    waited = round((now - available_at).total_seconds(), 1)
    if waited > limit:
        detail = f"oldest due delivery waited {waited:.0f}s > {limit:g}s (delivery {pk}, {handler})"
        return Check("oldest_due", False, detail, waited, limit, "s")
    return Check("oldest_due", True, f"oldest due delivery waited {waited:g}s", waited, limit, "s")


def dead_letters(now, limits: Limits) -> Check:
    dead = Delivery.objects.filter(status=DeliveryStatus.DEAD).values("pk")[: DEAD_LETTERS_COUNT_CAP + 1].count()
    shown = f"{DEAD_LETTERS_COUNT_CAP:,}+" if dead > DEAD_LETTERS_COUNT_CAP else f"{dead:,}"
    limit = limits.dead_letters
    if dead > limit:
        return Check("dead_letters", False, f"dead letters {shown} > {limit:,}", dead, limit)
    return Check("dead_letters", True, f"dead letters {shown}", dead, limit)


def watchdog_flowing(now, limits: Limits) -> Check:
    state = WatchdogState.objects.filter(pk=1).first()
    if state is None or state.stalled_since is None:
        return Check("watchdog", True, "watchdog: due work flows", 0, 0, "s")
    stalled = round((now - state.stalled_since).total_seconds(), 1)
    detail = f"watchdog: due work stalled for {stalled:.0f}s: {state.detail}"
    return Check("watchdog", False, detail, stalled, 0, "s")


def clusters_live(now, limits: Limits) -> Check:
    live = watchdog.live_processes(now, ProcessKind.CLUSTER).count()
    if live >= limits.clusters:
        return Check("clusters", True, f"{live} live worker cluster(s)", live, limits.clusters)
    none = f"no live worker cluster (none beat in the last {messaging_settings().silent_after:g}s)"
    detail = none if not live else f"{live} live worker cluster(s) < {limits.clusters}"
    return Check("clusters", False, detail, live, limits.clusters)


def _redis_location(cache_settings: dict) -> str | None:
    if "redis" not in cache_settings["BACKEND"].lower():
        return None
    location = cache_settings.get("LOCATION", "")
    return location[0] if isinstance(location, list | tuple) else location
