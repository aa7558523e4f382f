"""The health numbers: throughput, queue depth, handling times, breakers, paused subscriptions, workers.

Read through ``messaging.selectors``, where every query is bounded or walks an
index, so the page stays fast with millions of journal rows: rates read one
window of messages by creation time; queue counts stop at ``QUEUE_COUNT_CAP``;
handling times read at most the newest ``TIMING_SAMPLE`` succeeded/failed
entries of the last hour, found from the hour's first ``seq``; breakers and
subscriptions are a row per context/handler; workers are a heartbeat row per
messaging process and the watchdog's one row. What is here puts them in shape.
"""

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from math import ceil

from django.utils import timezone

from marketplace.templatetags.marketplace_time import absolute
from messaging import selectors
from messaging.selectors import QUEUE_COUNT_CAP, Kind, ProcessKind, ProcessState, Step, queue_depth

RATE_SECONDS = 120  # the live chart's window, one bucket per second
RATE_SECONDS_MAX = 600
TIMING_SAMPLE = 5_000  # newest succeeded/failed entries of the hour that handling times are computed from
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class HandlerTiming:
    handler: str
    context: str
    runs: int  # in the sample
    failed: int
    p50_ms: float
    p95_ms: float
    max_ms: float


def message_rates(*, now: datetime | None = None, seconds: int = RATE_SECONDS) -> dict:
    """Messages written per second, by kind, over the last ``seconds`` complete seconds.

    ``{"t": [epoch seconds...], "command": [...], "event": [...]}``, one bucket per
    second, oldest first; the current (incomplete) second is left out.
    """
    now = now or timezone.now()
    seconds = max(1, min(seconds, RATE_SECONDS_MAX))
    end = int(now.timestamp())  # exclusive: the start of the current second
    start = end - seconds
    buckets = {kind: [0] * seconds for kind in Kind.values}
    rows = selectors.messages_per_second(
        start=datetime.fromtimestamp(start, tz=UTC), end=datetime.fromtimestamp(end, tz=UTC)
    )
    for kind, second, count in rows:
        index = int(second.timestamp()) - start
        if kind in buckets and 0 <= index < seconds:
            buckets[kind][index] = count
    return {"t": list(range(start, end)), **buckets}


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (not empty)."""
    return sorted_values[max(0, ceil(p / 100 * len(sorted_values)) - 1)]


def handling_times(*, now: datetime | None = None, sample: int = TIMING_SAMPLE) -> list[HandlerTiming]:
    """p50/p95 of handlers' attempts (succeeded or failed) over the last hour, newest ``sample`` at most."""
    now = now or timezone.now()
    first = selectors.first_seq_since(moment=now - HOUR)
    if first is None:
        return []
    rows = selectors.attempt_durations(from_seq=first, limit=sample)
    durations: dict[str, list[float]] = {}
    failed: dict[str, int] = {}
    for handler, step, duration in rows:
        durations.setdefault(handler, []).append(duration)
        failed[handler] = failed.get(handler, 0) + (step == Step.FAILED)
    timings = []
    for handler, values in sorted(durations.items()):
        values.sort()
        timings.append(
            HandlerTiming(
                handler=handler,
                context=selectors.handler_context(name=handler),
                runs=len(values),
                failed=failed[handler],
                p50_ms=percentile(values, 50),
                p95_ms=percentile(values, 95),
                max_ms=values[-1],
            )
        )
    return timings


def workers(*, now: datetime) -> dict:
    """Every messaging process by its heartbeat, live ones first, and whether due work is stalled (JSON-ready).

    A process that says it runs but stopped beating is shown silent before a sweeper declares it so.
    """
    processes = [
        {
            **p,
            "shown_state": p["state"] if p["live"] or p["state"] == ProcessState.STOPPED else ProcessState.SILENT,
            "beat_ago": ago(p["beat_seconds_ago"]),
            "last_task_ago": ago(p["last_task_seconds_ago"]),
        }
        for p in selectors.processes(now=now)
    ]
    watchdog = selectors.watchdog_state()
    since = watchdog["stalled_since"]
    moment = datetime.fromisoformat(since) if since else None
    clock = timezone.localtime(moment).strftime("%H:%M:%S") if moment else None
    return {
        "processes": processes,
        "clusters_live": sum(p["live"] and p["kind"] == ProcessKind.CLUSTER for p in processes),
        "sweepers_live": sum(p["live"] and p["kind"] == ProcessKind.SWEEPER for p in processes),
        "watchdog": {
            **watchdog,
            "stalled_since_clock": clock,
            "stalled_since_text": absolute(moment) if moment else None,
        },
    }


def ago(seconds: float | None) -> str | None:
    """``3 s ago``, ``4 min ago``, ``2 h ago``: how long ago, to the unit a reader needs."""
    if seconds is None:
        return None
    seconds = max(seconds, 0)
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    return f"{seconds / 60:.0f} min ago" if seconds < 90 * 60 else f"{seconds / 3600:.0f} h ago"


def handlers_and_breakers(*, now: datetime) -> dict:
    """Breakers, paused handlers and handling times, JSON-ready: the tables the health page redraws at each poll."""
    return {
        "breakers": [
            {**asdict(b), "open_until": b.open_until.isoformat() if b.open_until else None}
            for b in selectors.breakers(now=now)
        ],
        "paused": [{**asdict(p), "since": p.since.isoformat()} for p in selectors.paused_handlers()],
        "timings": [asdict(t) for t in handling_times(now=now)],
    }


def live_numbers(*, now: datetime | None = None, seconds: int = RATE_SECONDS) -> dict:
    """What the health page polls: rates, queue depth, workers, breakers, paused handlers and handling times."""
    now = now or timezone.now()
    depth = queue_depth(now=now)
    return {
        "now": now.timestamp(),
        "rates": message_rates(now=now, seconds=seconds),
        "queue": {name: count.value for name, count in depth.items()},
        "queue_capped": [name for name, count in depth.items() if count.capped],
        "cap": QUEUE_COUNT_CAP,
        **workers(now=now),
        **handlers_and_breakers(now=now),
    }
