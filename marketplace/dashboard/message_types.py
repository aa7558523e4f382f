"""The message types page, generated from the registry (``messaging.selectors``): never written by hand.

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

from messaging import selectors

HOUR = timedelta(hours=1)
NO_ACTOR = "outside a handler"  # written with no actor: a management command, the shell, a test
SENDER_SAMPLE = 5_000  # newest `sent` journal entries of the hour read for the senders


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
class MessageTypes:
    types: list[MessageType]
    handlers_never_run: list[HandlerRow]
    since: datetime

    @property
    def never_handled(self) -> list[MessageType]:
        return [t for t in self.types if t.never_handled]


def actor_label(actor: str) -> str:
    """A handler's name stands for its context; other actors (web, a command, a user) as they are."""
    handler = selectors.handler_named(name=actor)
    if handler is not None:
        return handler.context
    return actor or NO_ACTOR


def command_senders(since: datetime) -> dict[str, list[str]]:
    """Per command type, who sent it among the newest ``SENDER_SAMPLE`` `sent` entries since ``since``."""
    first = selectors.first_seq_since(moment=since)
    if first is None:
        return {}
    senders: dict[str, set[str]] = {}
    for message_type, actor in selectors.sent_entries(from_seq=first, limit=SENDER_SAMPLE):
        senders.setdefault(message_type, set()).add(actor_label(actor))
    return {name: sorted(labels) for name, labels in senders.items()}


def message_types(*, now: datetime | None = None) -> MessageTypes:
    now = now or timezone.now()
    since = now - HOUR
    senders = command_senders(since)
    message_types = selectors.message_types()
    counts = selectors.messages_written_since(since=since, types=list(message_types))
    handlers_by_name = selectors.handlers()
    ran = {name: selectors.handler_has_run(name=name) for name in handlers_by_name}
    types = []
    for name, cls in message_types.items():
        handlers = selectors.handlers_of(message_type=cls)
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
    never_run = [HandlerRow(h.name, h.context, True) for name, h in handlers_by_name.items() if not ran[name]]
    return MessageTypes(types=types, handlers_never_run=never_run, since=since)
