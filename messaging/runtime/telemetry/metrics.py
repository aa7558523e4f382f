"""Prometheus counters and histograms, recorded by every process that writes or runs messages.

On only where METRICS_TOKEN is set (``enabled``): the settings then point prometheus-client at METRICS_DIR
(``PROMETHEUS_MULTIPROC_DIR``) before it is first imported, and each process (web, cluster and each worker
it forks, sweeper, any command) keeps its values in files of its own there, named by its pid, which a
scrape adds up. Off, a publish and a delivery each pay one test of a setting.

A value is recorded when the transaction that wrote it commits: a message rolled back was never written, and
an attempt whose group rolled back (a crash before the group's commit) runs again.

- ``messaging_client_sent_messages_total{kind,type,context}``: messages written to the outbox.
- ``messaging_delivery_attempts_total{handler,outcome}``: attempts by how they ended. ``succeeded``;
  ``failed`` and ``timed_out`` (the handler raised, or ran past its timeout: a retry is scheduled);
  ``dead_lettered`` (no more retries: a permanent error, or the last attempt failed, a timeout included);
  ``discarded`` (its lease was lost to another worker, which owns the outcome now); ``abandoned`` (its
  worker died or froze; the sweeper took the delivery back and scheduled a retry, or dead-lettered it, then
  counted as ``dead_lettered``). A delivery given back unrun (its breaker opened) or that yielded its place
  in a group to run again is not an attempt.
- ``messaging_process_duration_seconds{handler,outcome}``: an attempt's handling time, from loading the
  message to its outcome recorded (OpenTelemetry's ``messaging.process.duration``); none for ``abandoned``.
- ``messaging_publish_to_handled_seconds{handler}``: from the message's creation (on the database's clock)
  to its successful handling, retries and any delay included.

The files themselves, read whole at a scrape, merged once their processes have exited and removed as a
deployment starts: ``metric_files``.
"""

import os
from functools import cache, partial

from django.conf import settings
from django.db import transaction
from prometheus_client import Counter, Histogram, values

from messaging.models import DeliveryStatus

# Chosen by prometheus-client when first imported: files under PROMETHEUS_MULTIPROC_DIR, or this process's memory
# (which no scrape reads: then nothing is recorded).
MULTIPROCESS = values.ValueClass._multiprocess
if MULTIPROCESS:
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

DEAD_LETTERED = "dead_lettered"
ABANDONED = "abandoned"

# Handlers take milliseconds to a handler's timeout; a message may wait for retries with backoff, or a delay.
PROCESS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
HANDLED_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)

# Not in prometheus-client's default registry: they are read from the files, never from this process.
SENT = Counter(
    "messaging_client_sent_messages_total",
    "Messages written to the outbox, counted when their transaction commits.",
    ["kind", "type", "context"],
    registry=None,
)
ATTEMPTS = Counter(
    "messaging_delivery_attempts_total",
    "Delivery attempts by how they ended.",
    ["handler", "outcome"],
    registry=None,
)
PROCESS_DURATION = Histogram(
    "messaging_process_duration_seconds",
    "Handling time of a delivery attempt, from loading the message to its outcome recorded.",
    ["handler", "outcome"],
    buckets=PROCESS_BUCKETS,
    registry=None,
)
PUBLISH_TO_HANDLED = Histogram(
    "messaging_publish_to_handled_seconds",
    "From a message's creation to its successful handling by a handler, retries and delays included.",
    ["handler"],
    buckets=HANDLED_BUCKETS,
    registry=None,
)


def enabled() -> bool:
    """Whether this process records metrics: METRICS_TOKEN is set, and prometheus-client writes to files."""
    return MULTIPROCESS and bool(settings.METRICS_TOKEN)


def message_written(row) -> None:
    """Count ``row`` (a ``Message`` just written) as sent once its transaction commits."""
    if enabled():
        transaction.on_commit(_sent(row.kind, row.type, row.context).inc, robust=True)


def attempt_ended(handler: str, outcome: str, seconds: float | None, handled_after: float | None = None) -> None:
    """Count an attempt of ``handler`` and observe its handling time, once the transaction it ended in commits.

    ``handled_after``: for a success, the seconds since its message was created.
    """
    transaction.on_commit(partial(_attempt_record, handler, outcome, seconds, handled_after), robust=True)


def attempt_abandoned(handler: str, status: str) -> None:
    """Count the attempt of a worker that died or froze, settled by the sweeper as ``status`` (no time known)."""
    outcome = {DeliveryStatus.FAILED: ABANDONED, DeliveryStatus.DEAD: DEAD_LETTERED}.get(status)
    if outcome and enabled():  # any other status: another process settled it meanwhile
        attempt_ended(handler, outcome, None)


def _attempt_record(handler: str, outcome: str, seconds: float | None, handled_after: float | None) -> None:
    attempts, duration = _attempt(handler, outcome)
    attempts.inc()
    if seconds is not None:
        duration.observe(seconds)
    if handled_after is not None:
        _handled(handler).observe(handled_after)


# A metric's labels() takes a lock and builds a key every time; the children are kept here instead.
@cache
def _sent(kind: str, type: str, context: str):
    return SENT.labels(kind, type, context)


@cache
def _attempt(handler: str, outcome: str):
    return ATTEMPTS.labels(handler, outcome), PROCESS_DURATION.labels(handler, outcome)


@cache
def _handled(handler: str):
    return PUBLISH_TO_HANDLED.labels(handler)
