"""Step "load": the delivery's handler and its message, checked as stored.

First inside "outcome", so that an unknown handler or type, an altered row or
an invalid payload dead-letters as a permanent error before anything else runs.
"""

from pydantic import ValidationError

from messaging.errors import InvalidPayloadError, SignatureMismatchError
from messaging.runtime import limits, signing
from messaging.runtime.registry import registry


def step(attempt, next):
    attempt.handler = registry.handler(attempt.delivery.handler)
    attempt.message = message_load(attempt.row)
    attempt.time_left = attempt.handler.timeout
    next(attempt)


def message_load(row):
    """The stored row as its message class, or a ``PermanentError`` saying why it cannot be."""
    if not signing.is_authentic(row):
        raise SignatureMismatchError("signature mismatch: the stored message was altered")
    limits.check_payload_size(row)
    message_type = registry.message_type(row.type)
    if row.version != message_type.version:
        raise InvalidPayloadError(
            f"{row.type} version {row.version} is not supported (this code handles version {message_type.version})"
        )
    try:
        return message_type.model_validate(row.payload)
    except ValidationError as error:
        raise InvalidPayloadError(f"invalid payload for {row.type}: {error}") from error
