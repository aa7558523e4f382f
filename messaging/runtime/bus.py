"""The two verbs: ``send`` a command to its one handler, ``publish`` an event to all.

Both write in the caller's transaction (see ``outbox``) and return the new
message's id. Mistakes fail here, at the call, not later in a worker.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

from django.utils import timezone

from messaging.contracts import Command, Event
from messaging.errors import NoHandlerError, UnknownHandlerError
from messaging.models import Step
from messaging.runtime import clock, outbox
from messaging.runtime.registry import registry


def publish(event: Event, *, delay: timedelta | float | None = None, not_before: datetime | None = None) -> UUID:
    """Record ``event`` with one delivery per subscriber (none is fine)."""
    if not isinstance(event, Event):
        raise TypeError(f"publish() takes an Event, not {type(event).__name__}; use send() for commands")
    handlers = registry.handlers_for(type(event))
    return outbox.write(event, handlers, step=Step.PUBLISHED, not_before=_due(delay, not_before)).id


def send(
    command: Command,
    *,
    reply_to: Callable | str | None = None,
    delay: timedelta | float | None = None,
    not_before: datetime | None = None,
) -> UUID:
    """Record ``command`` for its one handler; ``reply_to`` receives its outcome."""
    if not isinstance(command, Command):
        raise TypeError(f"send() takes a Command, not {type(command).__name__}; use publish() for events")
    handlers = registry.handlers_for(type(command))
    if not handlers:
        raise NoHandlerError(f"no handler accepts command {command.name}")
    reply_name = _reply_handler_name(reply_to) if reply_to is not None else ""
    row = outbox.write(command, handlers, step=Step.SENT, reply_to=reply_name, not_before=_due(delay, not_before))
    return row.id


def _reply_handler_name(reply_to: Callable | str) -> str:
    name = reply_to if isinstance(reply_to, str) else getattr(reply_to, "handler_name", None)
    if name is None:
        raise UnknownHandlerError(f"{reply_to!r} is not a registered reply handler (use @reply_handler)")
    handler = registry.handler(name)
    if not handler.is_reply_handler:
        raise UnknownHandlerError(f"{name} handles {handler.message_type.name}; it is not a reply handler")
    return name


def _due(delay: timedelta | float | None, not_before: datetime | None) -> datetime | None:
    if delay is not None and not_before is not None:
        raise ValueError("give delay or not_before, not both")
    if delay is not None:
        seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
        if seconds < 0:
            raise ValueError(f"delay cannot be negative ({seconds}s)")
        return clock.recent().now() + timedelta(seconds=seconds) if seconds else None  # the clock claims read
    if not_before is not None and timezone.is_naive(not_before):
        raise ValueError("not_before must be timezone-aware")
    return not_before
