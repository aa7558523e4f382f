"""The only road between bounded contexts: durable commands and events.

    messaging.send(NotifyVendor(...), reply_to=on_vendor_notified)  # one handler, an outcome
    messaging.publish(OrderPaid(...))                               # any number of subscribers

Both write the message, its deliveries and a journal entry in the caller's
transaction; django-q2 workers run the deliveries after commit. A service's
transaction is ``@messaging.atomic_retried``: run again if it loses a deadlock.

This package is the write side of messaging's public face. The rest of it, the only modules contexts and
the dashboard may import (an import-linter contract in pyproject.toml checks it): ``contracts``, ``errors``,
``selectors`` (the read side) with ``vocabulary``, ``controls`` (an operator's changes), ``testing``, and the
building blocks ``admin.blocks`` and ``management.options`` / ``management.progress``. Everything else
(models, runtime, processes, operations) is private.
"""

from importlib import import_module

from messaging.contracts import Command, Contract, Event
from messaging.errors import (
    DuplicateHandlerError,
    DuplicateMessageError,
    MessagingError,
    NoHandlerError,
    PermanentError,
    UnknownHandlerError,
)
from messaging.runtime.contention import atomic_retried
from messaging.runtime.context import correlated
from messaging.runtime.decorators import handler, reply_handler
from messaging.runtime.policy import RetryPolicy

# These touch the database models, which exist only once Django's apps are
# loaded; contracts import this package earlier, so they are resolved lazily.
_LAZY = {
    "send": "messaging.runtime.bus",
    "publish": "messaging.runtime.bus",
    "outcome": "messaging.runtime.outcomes",
    "CommandOutcome": "messaging.runtime.outcomes",
}


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'messaging' has no attribute {name!r}")


__all__ = [
    "Command",
    "CommandOutcome",
    "Contract",
    "DuplicateHandlerError",
    "DuplicateMessageError",
    "Event",
    "MessagingError",
    "NoHandlerError",
    "PermanentError",
    "RetryPolicy",
    "UnknownHandlerError",
    "atomic_retried",
    "correlated",
    "handler",
    "outcome",
    "publish",
    "reply_handler",
    "send",
]
