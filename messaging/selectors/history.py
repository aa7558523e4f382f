"""Stored messages read back as contracts, and the types a read model is rebuilt from (kept through purges)."""

from messaging.operations.history import StoredMessageError, stored_messages
from messaging.operations.retention import retain, retained

__all__ = ["StoredMessageError", "retain", "retained", "stored_messages"]
