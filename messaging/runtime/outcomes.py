"""Commands have outcomes: the sender can read them, or name a reply handler.

When a command's delivery succeeds, or is dead-lettered, a ``CommandOutcome``
is written in the same transaction and delivered to the command's
``reply_to`` handler (correlated with the command, caused by it). A dead
letter retried by hand that then succeeds produces a second, newer outcome.
"""

import logging
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from messaging.contracts import Command
from messaging.models import Delivery, DeliveryStatus, Kind, Step
from messaging.runtime import outbox
from messaging.runtime.registry import registry

logger = logging.getLogger(__name__)


class CommandOutcome(Command):
    """Delivered to a reply handler: how a command ended."""

    command_id: UUID
    command_type: str
    status: Literal["succeeded", "failed"]
    error: str = ""
    result: Any = None
    attempts: int


@dataclass(frozen=True)
class Outcome:
    status: str  # a DeliveryStatus: pending, running, failed (retrying), succeeded, dead
    attempts: int
    error: str
    result: Any

    @property
    def finished(self) -> bool:
        return self.status in (DeliveryStatus.SUCCEEDED, DeliveryStatus.DEAD)


def outcome(command_id: UUID | str) -> Outcome:
    """Where a command stands now (raises Delivery.DoesNotExist for an unknown id)."""
    delivery = Delivery.objects.get(message_id=command_id, message__kind=Kind.COMMAND)
    return Outcome(delivery.status, delivery.attempts, delivery.last_error, delivery.result)


def reply(message_row, delivery, *, succeeded: bool, error: str = "", result: Any = None) -> None:
    """Write the outcome for ``reply_to``; call in the transaction that ends the delivery."""
    if message_row.kind != Kind.COMMAND or not message_row.reply_to:
        return
    reply_handler = registry.handlers.get(message_row.reply_to)
    if reply_handler is None:
        logger.error(
            "reply handler %s no longer exists: outcome of %s not delivered", message_row.reply_to, message_row.id
        )
        return
    outcome_message = CommandOutcome(
        command_id=message_row.id,
        command_type=message_row.type,
        status="succeeded" if succeeded else "failed",
        error=error,
        result=result,
        attempts=delivery.attempts,
    )
    outbox.write(
        outcome_message,
        [reply_handler],
        step=Step.SENT,
        correlation_id=message_row.correlation_id,
        causation_id=str(message_row.id),
    )
