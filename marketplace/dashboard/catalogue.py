"""The message catalogue, generated from ``messaging.runtime.registry``: never written by hand.

For each command and event type: kind, owning context, version, payload schema,
who publishes or sends it, who handles it, and how many were written in the
last hour. Who sends what is defined so:

- an event is published by its owning context (its contract lives there);
- a command is sent by whoever the journal saw sending it in the last hour: the
  ``actor`` of its ``sent`` entries among the newest ``SENDER_SAMPLE`` of the
  hour. A message written while a handler runs has that handler's name as its
  actor, shown as the handler's context; anything else (``web`` for a request, a
  user) is shown as it is, and no actor at all (a management command, the
  shell) as "outside a handler". A command nobody sent in the hour has no
  senders listed.

Flags: a type with no handler ("declared, never handled"), and a handler that
has never run: it has no delivery past ``pending`` (one indexed EXISTS each).
``messaging.CommandOutcome`` is handled by the reply handlers.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from marketplace.dashboard.stats import first_seq_since
from messaging.models import Delivery, DeliveryStatus, JournalEntry, Message, Step
from messaging.runtime.outcomes import CommandOutcome
from messaging.runtime.registry import Handler, registry

HOUR = timedelta(hours=1)
NO_ACTOR = "outside a handler"  # written with no actor: a management command, the shell, a test
SENDER_SAMPLE = 5_000  # newest `sent` journal entries of the hour read for the senders
RAN_STATUSES = [s for s in DeliveryStatus.values if s != DeliveryStatus.PENDING]


@dataclass(frozen=True)
class HandlerRow:
    name: str
    context: str
    never_run: bool


@dataclass
class MessageType:
    name: str
    kind: str
    context: str
    version: int
    doc: str
    schema: str  # the payload's JSON schema, pretty-printed
    senders: list[str]
    handlers: list[HandlerRow] = field(default_factory=list)
    last_hour: int = 0

    @property
    def never_handled(self) -> bool:
        return not self.handlers


@dataclass(frozen=True)
class Catalogue:
    types: list[MessageType]
    handlers_never_run: list[HandlerRow]
    since: datetime

    @property
    def never_handled(self) -> list[MessageType]:
        return [t for t in self.types if t.never_handled]


def handlers_of(cls) -> list[Handler]:
    if cls is CommandOutcome:  # delivered to the reply handler a command names, not subscribed
        return sorted((h for h in registry.handlers.values() if h.is_reply_handler), key=lambda h: h.name)
    return sorted(registry.handlers_for(cls), key=lambda h: h.name)


def handler_has_run(name: str) -> bool:
    """One EXISTS on the (status, handler) index: ``status IN (...)`` lets it seek instead of scan."""
    return Delivery.objects.filter(status__in=RAN_STATUSES, handler=name).exists()


def actor_label(actor: str) -> str:
    """A handler's name stands for its context; other actors (web, a command, a user) as they are."""
    handler = registry.handlers.get(actor)
    if handler is not None:
        return handler.context
    return actor or NO_ACTOR


def command_senders(since: datetime) -> dict[str, list[str]]:
    """Per command type, who sent it among the newest ``SENDER_SAMPLE`` `sent` entries since ``since``."""
    first = first_seq_since(since)
    if first is None:
        return {}
    rows = (
        JournalEntry.objects.filter(step=Step.SENT, seq__gte=first)
        .order_by("-seq")
        .values_list("type", "actor")[:SENDER_SAMPLE]
    )
    senders: dict[str, set[str]] = {}
    for message_type, actor in rows:
        senders.setdefault(message_type, set()).add(actor_label(actor))
    return {name: sorted(labels) for name, labels in senders.items()}


def counts_since(since: datetime) -> dict[str, int]:
    """Messages written since ``since``, per type: one range of the (type, created_at) index per type."""
    return {
        name: Message.objects.filter(type=name, created_at__gte=since).count() for name in sorted(registry.messages)
    }


def catalogue(*, now: datetime | None = None) -> Catalogue:
    now = now or timezone.now()
    since = now - HOUR
    senders = command_senders(since)
    counts = counts_since(since)
    ran = {name: handler_has_run(name) for name in registry.handlers}
    types = []
    for name, cls in sorted(registry.messages.items()):
        handlers = handlers_of(cls)
        types.append(
            MessageType(
                name=name,
                kind=cls.kind,
                context=cls.context,
                version=cls.version,
                doc=(cls.__doc__ or "").strip(),
                schema=json.dumps(cls.model_json_schema(), indent=2, sort_keys=True),
                senders=[cls.context] if cls.kind == "event" else senders.get(name, []),
                handlers=[HandlerRow(h.name, h.context, not ran[h.name]) for h in handlers],
                last_hour=counts.get(name, 0),
            )
        )
    never_run = [HandlerRow(h.name, h.context, True) for name, h in sorted(registry.handlers.items()) if not ran[name]]
    return Catalogue(types=types, handlers_never_run=never_run, since=since)
