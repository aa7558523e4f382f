"""Errors of the messaging core.

Raised at the call (a programming mistake the caller must see at once) or
classified by the worker: a ``PermanentError`` dead-letters at once, anything
else is transient and retried under the handler's policy.
"""


class MessagingError(Exception):
    """Base class for every error raised by the messaging core."""


class DuplicateHandlerError(MessagingError):
    """A second handler for a command, or two handlers with one name."""


class DuplicateMessageError(MessagingError):
    """Two message classes claim one stable name."""


class NoHandlerError(MessagingError):
    """A command was sent that no handler accepts."""


class PermanentError(MessagingError):
    """Retrying cannot help: the delivery is dead-lettered at once with this reason."""


class MessageTooLargeError(PermanentError, ValueError):
    """A payload over ``MESSAGING['max_payload_bytes']``: refused at publish, dead-lettered if found stored."""


class UnknownHandlerError(PermanentError):
    """A handler name that is not registered (a reply_to, a stored delivery)."""


class UnknownMessageTypeError(PermanentError):
    """A stored message names a type this code base does not define."""


class InvalidPayloadError(PermanentError):
    """A stored payload no longer validates against its contract."""


class SignatureMismatchError(PermanentError):
    """A stored envelope does not match its HMAC: the row was altered."""


class HandlerTimeoutError(BaseException):
    """A handler ran past its timeout.

    A BaseException so that a handler's own ``except Exception`` cannot swallow it.
    """


class LeaseLostError(MessagingError):
    """Another worker re-claimed the delivery: this run's effects are rolled back."""
