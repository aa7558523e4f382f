"""Stored messages read back as the contracts they were written from: events are durable facts.

A context that rebuilds a read model reads past events here, oldest first, each
checked as a worker checks it before running a handler (signature, version,
payload). A row altered in the database, or one this code can no longer read,
stops the reading with ``StoredMessageError``: nothing is built from it.
"""

from collections.abc import Iterator
from uuid import UUID

from messaging.contracts import Contract
from messaging.errors import MessagingError, PermanentError
from messaging.models import Message
from messaging.operations.selection import keyset_batches
from messaging.runtime.pipeline.load import message_load as load  # the worker's own checks: both read a row alike


class StoredMessageError(MessagingError):
    """A stored message cannot be read back: altered, or no longer valid for its contract."""


def stored_messages(*message_types: type[Contract], batch_size: int = 500) -> Iterator[tuple[UUID, Contract]]:
    """(message id, contract instance) of every stored message of these types, oldest first."""
    rows = Message.objects.filter(type__in=[message_type.name for message_type in message_types])
    for batch in keyset_batches(rows, key=("created_at", "id"), size=batch_size):
        for row in batch:
            try:
                yield row.id, load(row)
            except PermanentError as error:
                raise StoredMessageError(f"stored message {row.id} ({row.type}): {error}") from error
