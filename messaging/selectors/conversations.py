"""Conversations: every message sharing a correlation id, as a causation tree, a timeline or raw steps.

A message written while a handler ran names the handled message as its cause
(``causation_id``) and the handler as the actor of its "published"/"sent"
journal entry. So each message's children hang under the delivery that wrote
them: ``OrderPaid`` → its delivery to Vendors' handler → the ``VendorNotified``
that handler published → Orders' delivery of it, and so on. A message whose
cause is outside the correlation (a web request) is a root.

The tree costs three bounded queries on indexed columns: the messages of the
correlation, their deliveries, and their journal entries.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet

from messaging.models import Delivery, DeliveryStatus, JournalEntry, Message, Step
from messaging.runtime.telemetry.tracing import trace_id_of

MAX_MESSAGES = 500
MAX_ENTRIES = 5_000
WRITTEN_STEPS = (Step.PUBLISHED, Step.SENT)


@dataclass
class DeliveryNode:
    delivery: Delivery
    failed_attempts: int = 0  # failed attempts seen in the journal, replays and retries included
    by_hand: int = 0  # retried or replayed by an operator
    duration_ms: float | None = None  # of the last successful attempt
    caused: list["MessageNode"] = field(default_factory=list)

    @property
    def trouble(self) -> bool:
        return self.delivery.status in (DeliveryStatus.DEAD, DeliveryStatus.FAILED)


@dataclass
class MessageNode:
    message: Message
    written_by: str = ""  # the actor of its published/sent entry: a handler, "web", a command…
    deliveries: list[DeliveryNode] = field(default_factory=list)
    caused: list["MessageNode"] = field(default_factory=list)  # caused by it, not traced to one delivery

    @property
    def trouble(self) -> bool:
        return any(d.trouble or d.failed_attempts for d in self.deliveries)


@dataclass
class Conversation:
    correlation_id: str
    roots: list[MessageNode]
    contexts: list[str]
    started_at: datetime
    message_count: int
    truncated: bool  # more messages than MAX_MESSAGES: the newest are left out
    counts: Counter  # delivery statuses
    failed_attempts: int
    trace_id: str = ""  # the trace of its first message written with tracing on ("" if none was)


def conversation(*, correlation_id: str) -> Conversation | None:
    """The causation tree of ``correlation_id``, or None when no message carries it."""
    rows = list(Message.objects.filter(correlation_id=correlation_id).order_by("created_at", "id")[: MAX_MESSAGES + 1])
    if not rows:
        return None
    truncated = len(rows) > MAX_MESSAGES
    rows = rows[:MAX_MESSAGES]
    nodes = {str(row.id): MessageNode(row) for row in rows}
    deliveries = _delivery_nodes(nodes)
    _read_journal(correlation_id, nodes, deliveries)
    roots = _link(nodes, deliveries)
    counts = Counter(d.delivery.status for d in deliveries.values())
    contexts = sorted({row.context for row in rows} | {d.delivery.context for d in deliveries.values()})
    return Conversation(
        correlation_id=correlation_id,
        roots=roots,
        contexts=contexts,
        started_at=rows[0].created_at,
        message_count=len(rows),
        truncated=truncated,
        counts=counts,
        failed_attempts=sum(d.failed_attempts for d in deliveries.values()),
        trace_id=next((trace_id for row in rows if (trace_id := trace_id_of(row.traceparent))), ""),
    )


def _delivery_nodes(nodes: dict[str, MessageNode]) -> dict[tuple[str, str], DeliveryNode]:
    deliveries = {}
    for delivery in Delivery.objects.filter(message_id__in=[n.message.id for n in nodes.values()]).order_by("id"):
        node = DeliveryNode(delivery)
        nodes[str(delivery.message_id)].deliveries.append(node)
        deliveries[(str(delivery.message_id), delivery.handler)] = node
    return deliveries


def _read_journal(correlation_id: str, nodes, deliveries) -> None:
    entries = JournalEntry.objects.filter(correlation_id=correlation_id).order_by("seq")[:MAX_ENTRIES]
    for entry in entries.only("message_id", "step", "handler", "actor", "duration_ms"):
        message_id = str(entry.message_id)
        if entry.step in WRITTEN_STEPS and message_id in nodes:
            nodes[message_id].written_by = entry.actor
        node = deliveries.get((message_id, entry.handler))
        if node is None:
            continue
        if entry.step == Step.FAILED:
            node.failed_attempts += 1
        elif entry.step in (Step.RETRIED, Step.REPLAYED):
            node.by_hand += 1
        elif entry.step == Step.SUCCEEDED:
            node.duration_ms = entry.duration_ms


def _link(nodes: dict[str, MessageNode], deliveries) -> list[MessageNode]:
    """Hang each message under the delivery (or, failing that, the message) that caused it.

    A cause must come earlier in creation order, so even a tampered row cannot make a cycle.
    """
    roots, earlier = [], set()
    for key, node in nodes.items():  # in creation order, so children are in order too
        cause = node.message.causation_id
        earlier.add(key)
        if cause not in earlier or cause == key:
            roots.append(node)
        elif (by := deliveries.get((cause, node.written_by))) is not None:
            by.caused.append(node)
        else:
            nodes[cause].caused.append(node)
    return roots


def conversation_timeline(*, correlation_id: str) -> QuerySet[JournalEntry]:
    """Every step of every message of the conversation, oldest first.

    By time, then sequence: an attempt's "started" is journaled when the
    attempt ends, carrying the time it really started.
    """
    return JournalEntry.objects.filter(correlation_id=correlation_id).order_by("at", "seq")


def conversations_steps(*, correlation_ids: Iterable[str]) -> list[tuple[str, str, str, str, datetime]]:
    """(correlation id, step, type, handler, at) of every journal entry of these conversations, in no order.

    One read of each conversation through the (correlation_id, seq) index. Callers pick the steps: with a
    step condition SQLite prefers the (step, seq) index and reads every conversation's.
    """
    entries = JournalEntry.objects.filter(correlation_id__in=list(correlation_ids))
    return list(entries.values_list("correlation_id", "step", "type", "handler", "at").order_by())


def conversations_deliveries(*, correlation_ids: Iterable[str]) -> list[tuple[str, str, str, str]]:
    """(correlation id, message type, context, status) of every delivery of these conversations, in no order.

    What is still in flight (pending, running, failed and waiting to retry) or dead-lettered, and how many
    rows the conversations hold; through the message's correlation index.
    """
    deliveries = Delivery.objects.filter(message__correlation_id__in=list(correlation_ids))
    return list(deliveries.values_list("message__correlation_id", "message__type", "context", "status").order_by())
