"""``manage.py messaging_status``: the state of the queue, its dead letters, breakers, pauses and workers.

With ``--check``, for cron and monitoring: the limits of ``messaging.operations.health`` (the ones /readyz
applies, and more), one line per limit passed and exit 1, or ``ok`` and exit 0.
"""

import json
import math
import sys
from argparse import ArgumentTypeError

from django.core.management.base import CommandError

from messaging.management.options import OperatingCommand
from messaging.operations import health, health_checks
from messaging.operations.status import status_snapshot

LIMIT_OPTIONS = ("max_oldest_due", "max_sweeper_silence", "max_dead_letters", "min_clusters")


class Command(OperatingCommand):
    help = """Show what messaging is doing now: deliveries by status, dead letters by type and
handler, the oldest waiting delivery, circuit breakers, paused handlers, rows
that cannot move by themselves (anomalies), the watchdog (is due work stalled?),
and every messaging process by its heartbeat: clusters (workers alive and busy,
wake-ups waiting, when a worker last took a task, restarts) and sweepers; a
process whose heartbeat stopped is shown as silent.

With --check, for cron and monitoring scripts: nothing but one line per limit
passed (exit 1), or "ok" (exit 0). The database, the cache and django-q2's
broker must answer; a sweeper must have beaten and the oldest due delivery
waited no longer than /readyz allows; dead letters, a stalled watchdog and too
few live worker clusters count too. Each limit can be set here.

examples:
  manage.py messaging_status
  manage.py messaging_status --json | jq .deliveries.dead
  manage.py messaging_status --check --max-dead-letters 10 || alert
"""

    def add_arguments(self, parser):
        parser.add_argument("--json", dest="as_json", action="store_true", help="One JSON object, for scripts.")
        limits = health.limits()
        check = parser.add_argument_group("--check (limits default to the configured ones)")
        check.add_argument("--check", action="store_true", help="Check the limits: exit 1 if one is passed.")
        check.add_argument(
            "--max-oldest-due",
            type=seconds,
            metavar="SECONDS",
            help=f"How long the oldest due delivery may wait (READY_OLDEST_DUE_SECONDS: {limits.oldest_due:g}).",
        )
        check.add_argument(
            "--max-sweeper-silence",
            type=seconds,
            metavar="SECONDS",
            help=f"How long ago a sweeper must have beaten (READY_SWEEPER_SEEN_SECONDS: {limits.sweeper_silence:g}).",
        )
        check.add_argument("--max-dead-letters", type=count, metavar="N", help=f"At most ({limits.dead_letters}).")
        check.add_argument("--min-clusters", type=count, metavar="N", help=f"At least ({limits.clusters}).")

    def handle(self, *args, as_json: bool, check: bool, **options):
        given = [f"--{name.replace('_', '-')}" for name in LIMIT_OPTIONS if options[name] is not None]
        if given and not check:
            raise CommandError(f"{', '.join(given)}: only with --check", returncode=2)
        if check:
            return self.limits_check(as_json=as_json, **{name: options[name] for name in LIMIT_OPTIONS})
        snapshot = status_snapshot()
        if as_json:
            self.stdout.write(json.dumps(snapshot, indent=2))
            return
        for line in describe(snapshot):
            self.stdout.write(line)

    def limits_check(self, *, as_json: bool, max_oldest_due, max_sweeper_silence, max_dead_letters, min_clusters):
        limits = health.limits(
            oldest_due=max_oldest_due,
            sweeper_silence=max_sweeper_silence,
            dead_letters=max_dead_letters,
            clusters=min_clusters,
        )
        result = health.checked(health_checks.monitoring(limits))
        if as_json:
            self.stdout.write(json.dumps(result.as_json(), indent=2))
        else:
            self.stdout.write("\n".join(result.breaches()) or "ok")
        if not result.ok:
            sys.exit(1)  # as makemigrations --check: the lines said why


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise ArgumentTypeError(f"{text!r}: give a number of seconds, 0 or more")
    return value


def count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise ArgumentTypeError(f"{text!r}: give a whole number, 0 or more")
    return value


def describe(snapshot: dict) -> list[str]:
    depth = snapshot["deliveries"]
    lines = ["Deliveries: " + ", ".join(f"{status} {count:,}" for status, count in depth.items())]
    oldest = snapshot["oldest_waiting"]
    if oldest:
        when = f"due {abs(oldest['overdue_seconds']):g}s " + ("ago" if oldest["overdue_seconds"] >= 0 else "from now")
        lines.append(
            f"Oldest waiting: delivery {oldest['delivery']}, {oldest['type']} -> {oldest['handler']} "
            f"({oldest['status']}, {oldest['attempts']} attempts so far), {when}"
        )
    else:
        lines.append("Oldest waiting: none, nothing waits")
    dead = snapshot["dead_letters"]
    lines.append(f"Dead letters: {depth['dead']:,}" + (" by type and handler:" if dead else ""))
    lines += [f"  {row['count']:>7,}  {row['type']} -> {row['handler']}  (since {row['since']})" for row in dead]
    breakers = snapshot["breakers"]
    lines.append("Circuit breakers: " + ("all closed, no failures counted" if not breakers else ""))
    for b in breakers:
        until = f", until {b['open_until']}" if b["state"] != "closed" else ""
        lines.append(f"  {b['context']}: {b['state']}, {b['consecutive_failures']} consecutive failures{until}")
    lines.append("Paused handlers: " + (", ".join(snapshot["paused"]) or "none"))
    found = snapshot["anomalies"]
    lines.append("Anomalies: " + ("none" if not found else ""))
    lines += [
        f"  {a['count']:>7,}  {a['kind']} (e.g. delivery {a['example_delivery']}): {a['what_happens']}" for a in found
    ]
    lines += _workers(snapshot)
    return lines


def _workers(snapshot: dict) -> list[str]:
    guard = snapshot["watchdog"]
    stalled = f"STALLED since {guard['stalled_since']}: {guard['detail']}"
    lines = ["Watchdog: " + (stalled if guard["stalled"] else "ok")]
    processes = snapshot["processes"]
    clusters = [p for p in processes if p["kind"] == "cluster" and p["live"]]
    queued = snapshot.get("wakeups_queued")
    if not clusters:
        lines.append("Workers: none seen in the last few seconds (is `manage.py qcluster` running?)")
    else:
        lines.append(f"Workers: {len(clusters)} live cluster(s); wake-ups waiting in the broker: {queued}")
    if "workers_error" in snapshot:
        lines.append(f"  (cannot read the broker: {snapshot['workers_error']})")
    lines += [_process_line(p) for p in processes]
    return lines


def _process_line(p: dict) -> str:
    where = f"  {p['kind']} {p['host']} pid {p['pid']}: {p['state']}"
    if not p["live"] and p["state"] not in ("stopped", "silent"):
        where += " (no heartbeat: silent)"
    parts = [f"heartbeat {p['beat_seconds_ago']:g}s ago", f"up {p['up_seconds']}s"]
    if p["kind"] == "cluster":
        parts[:0] = [f"{p['workers']} workers ({p['busy']} busy)", f"{p['queued']} wake-ups in hand"]
        if p["last_task_seconds_ago"] is not None:
            parts.append(f"last task {p['last_task_seconds_ago']:g}s ago")
        if p["restarts"]:
            parts.append(f"restarted {p['restarts']} time(s)")
    text = f"{where}, " + ", ".join(parts)
    return text + (f"; {p['detail']}" if p["detail"] else "")
