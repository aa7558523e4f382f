"""The registry's view: which contexts, message types and handlers the code base declares."""

from messaging.contracts import Contract
from messaging.runtime.outcomes import CommandOutcome
from messaging.runtime.registry import Handler, registry


def message_types() -> dict[str, type[Contract]]:
    """Every message type by name, sorted."""
    return dict(sorted(registry.messages.items()))


def handlers() -> dict[str, Handler]:
    """Every handler by name, sorted."""
    return dict(sorted(registry.handlers.items()))


def handler_named(*, name: str) -> Handler | None:
    """The handler registered as ``name``, or None (a name only stored rows still carry)."""
    return registry.handlers.get(name)


def handler_context(*, name: str) -> str:
    """The context of handler ``name``: its registered one, else the first part of its dotted name."""
    known = registry.handlers.get(name)
    return known.context if known else name.split(".")[0]


def handlers_of(*, message_type: type[Contract]) -> list[Handler]:
    """Who handles ``message_type``, by name; a ``CommandOutcome`` goes to the reply handlers."""
    if message_type is CommandOutcome:  # delivered to the reply handler a command names, not subscribed
        return sorted((h for h in registry.handlers.values() if h.is_reply_handler), key=lambda h: h.name)
    return sorted(registry.handlers_for(message_type), key=lambda h: h.name)


def contexts() -> list[str]:
    """Every context that owns a message type or a handler, by name."""
    return registry.contexts()
