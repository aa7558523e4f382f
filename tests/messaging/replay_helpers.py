"""Shared by the replay and operating-command tests: stored messages in a given state, the command's output."""

import io
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

import messaging
from messaging import signing
from messaging.models import Delivery, DeliveryStatus, JournalEntry, Message, Step

OUTAGE = "ConnectionError: vendor gateway timed out"


def published(event, *, age: timedelta | None = None):
    """Publish ``event``; with ``age``, as if it had been published that long ago (re-signed, so still authentic)."""
    message_id = messaging.publish(event)
    if age is not None:
        row = Message.objects.get(pk=message_id)
        row.created_at = timezone.now() - age
        row.signature = signing.sign(row)
        row.save(update_fields=["created_at", "signature"])
    return message_id


def dead_lettered(event, *, age: timedelta | None = None):
    """Publish ``event`` with every delivery dead-lettered, as after an outage; returns the message id."""
    message_id = published(event, age=age)
    Delivery.objects.filter(message_id=message_id).update(
        status=DeliveryStatus.DEAD,
        attempts=5,
        max_attempts=5,
        last_error=OUTAGE,
        traceback=f"Traceback (most recent call last):\n  ...\n{OUTAGE}\n",
        finished_at=timezone.now(),
    )
    return message_id


def run_command(name: str, *args: str) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def replay(*args: str) -> str:
    """``replay_messages`` with ``args`` (and ``--yes`` unless a dry run); returns its output."""
    extra = () if "--dry-run" in args else ("--yes",)
    return run_command("replay_messages", *args, *extra)


def replayed_entries() -> list[JournalEntry]:
    return list(JournalEntry.objects.filter(step=Step.REPLAYED).order_by("seq"))
