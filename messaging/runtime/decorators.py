"""Register plain functions as handlers: ``@handler(OrderPaid)``, ``@reply_handler``."""

from messaging.contracts import Command, Event
from messaging.runtime.conf import messaging_settings
from messaging.runtime.policy import DEFAULT_POLICY, RetryPolicy
from messaging.runtime.registry import Handler, registry


def handler(message_type, *, name: str | None = None, retry: RetryPolicy | None = None, timeout: float | None = None):
    """Subscribe the decorated function to an event, or make it a command's one handler."""
    if not (isinstance(message_type, type) and issubclass(message_type, (Command, Event))):
        raise TypeError(f"@handler takes a Command or Event class, not {message_type!r}")

    def register(func):
        return _register(func, message_type, name=name, retry=retry, timeout=timeout)

    return register


def reply_handler(
    func=None, *, name: str | None = None, retry: RetryPolicy | None = None, timeout: float | None = None
):
    """Register a function that receives a ``CommandOutcome`` for commands sent with ``reply_to``."""

    def register(f):
        return _register(f, None, name=name, retry=retry, timeout=timeout)

    return register(func) if func is not None else register


def _register(func, message_type, *, name, retry, timeout):
    context = func.__module__.split(".")[0]
    entry = Handler(
        name=name or f"{context}.{func.__name__}",
        context=context,
        func=func,
        message_type=message_type,
        retry=retry or DEFAULT_POLICY,
        timeout=timeout if timeout is not None else messaging_settings().handler_timeout,
        is_reply_handler=message_type is None,
    )
    if entry.timeout <= 0:
        raise ValueError(f"handler {entry.name}: timeout must be positive")
    registry.register_handler(entry)
    func.handler_name = entry.name
    return func
