"""Which message types exist and who handles them.

Filled at import time: message classes register when defined, handlers when
their app's ``handlers.py`` is imported by ``MessagingConfig.ready()``.
The rules live here, once: a command has exactly one handler (a second one
fails at start-up), an event any number of subscribers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from messaging.errors import DuplicateHandlerError, DuplicateMessageError, UnknownHandlerError, UnknownMessageTypeError
from messaging.runtime.policy import RetryPolicy

if TYPE_CHECKING:
    from messaging.contracts import Contract


@dataclass(frozen=True)
class Handler:
    name: str
    context: str
    func: Callable
    message_type: type[Contract] | None  # None for reply handlers
    retry: RetryPolicy
    timeout: float
    is_reply_handler: bool = False

    def __call__(self, message):
        return self.func(message)


@dataclass
class Registry:
    messages: dict[str, type[Contract]] = field(default_factory=dict)
    handlers: dict[str, Handler] = field(default_factory=dict)
    subscribers: dict[str, list[Handler]] = field(default_factory=lambda: defaultdict(list))

    def register_message(self, cls: type[Contract]) -> None:
        existing = self.messages.get(cls.name)
        # Same module and qualname is the same class imported again; anything else is a clash.
        if existing is not None and (existing.__module__, existing.__qualname__) != (cls.__module__, cls.__qualname__):
            raise DuplicateMessageError(
                f"message name {cls.name!r} is used by both {existing.__module__}.{existing.__qualname__} "
                f"and {cls.__module__}.{cls.__qualname__}"
            )
        self.messages[cls.name] = cls

    def register_handler(self, handler: Handler) -> None:
        existing = self.handlers.get(handler.name)
        if existing is not None and (existing.func, existing.message_type) != (handler.func, handler.message_type):
            raise DuplicateHandlerError(
                f"two handlers are named {handler.name!r}: a handler's name is its identity in stored "
                "deliveries, so give one of them another name=..."
            )
        message_type = handler.message_type
        if message_type is not None:
            current = self.subscribers[message_type.name]
            others = [h for h in current if h.name != handler.name]
            if message_type.kind == "command" and others:
                raise DuplicateHandlerError(
                    f"command {message_type.name} already has a handler ({others[0].name}); "
                    f"a command has exactly one handler, so {handler.name} cannot be registered"
                )
            self.subscribers[message_type.name] = [*others, handler]
        self.handlers[handler.name] = handler

    def unregister_handler(self, name: str) -> None:
        handler = self.handlers.pop(name)
        if handler.message_type is not None:
            self.subscribers[handler.message_type.name] = [
                h for h in self.subscribers[handler.message_type.name] if h.name != name
            ]

    def message_type(self, name: str) -> type[Contract]:
        try:
            return self.messages[name]
        except KeyError:
            raise UnknownMessageTypeError(f"unknown message type {name!r}") from None

    def handler(self, name: str) -> Handler:
        try:
            return self.handlers[name]
        except KeyError:
            raise UnknownHandlerError(f"unknown handler {name!r}") from None

    def handlers_for(self, message_type: type[Contract]) -> list[Handler]:
        return list(self.subscribers.get(message_type.name, ()))

    def contexts(self) -> list[str]:
        """Every context that defines a message type or a handler, sorted."""
        return sorted({m.context for m in self.messages.values()} | {h.context for h in self.handlers.values()})

    def handler_contexts(self) -> list[str]:
        """The contexts whose handlers run deliveries (what a fault or a circuit breaker is about), sorted."""
        return sorted({h.context for h in self.handlers.values()})


registry = Registry()
register_message = registry.register_message
