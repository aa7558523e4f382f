"""``manage.py messaging_status``: the state of the queue, its dead letters, breakers, pauses and workers."""

import json

from messaging.management.options import OperatingCommand
from messaging.status import status_snapshot


class Command(OperatingCommand):
    help = """Show what messaging is doing now: deliveries by status, dead letters by type and
handler, the oldest waiting delivery, circuit breakers, paused handlers, rows
that cannot move by themselves (anomalies), and the
django-q2 clusters seen in the last few seconds (their stats expire quickly).

examples:
  manage.py messaging_status
  manage.py messaging_status --json | jq .deliveries.dead
"""

    def add_arguments(self, parser):
        parser.add_argument("--json", dest="as_json", action="store_true", help="One JSON object, for scripts.")

    def handle(self, *args, as_json: bool, **options):
        snapshot = status_snapshot()
        if as_json:
            self.stdout.write(json.dumps(snapshot, indent=2))
            return
        for line in describe(snapshot):
            self.stdout.write(line)


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
    if "workers_error" in snapshot:
        return [f"Workers: cannot read django-q2's stats ({snapshot['workers_error']})"]
    clusters = snapshot["workers"]
    if not clusters:
        return ["Workers: none seen in the last few seconds (is `manage.py qcluster` running?)"]
    lines = [f"Workers: {len(clusters)} cluster(s) seen; wake-ups queued: {snapshot['wakeups_queued']}"]
    lines += [
        f"  {c['host']} pid {c['pid']}: {c['status']}, {len(c['workers'])} workers, up {c['up_seconds']}s"
        for c in clusters
    ]
    return lines
