"""Shared by the replay and operating-command tests: stored messages in a given state, the command's output."""

import io
import itertools
import uuid
from datetime import timedelta

from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

import messaging
from messaging.models import Delivery, DeliveryStatus, JournalEntry, Message, Step
from messaging.runtime import signing

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


def bulk_dead_letters(count: int, *, batch: int = 5000) -> None:
    """``count`` Ping messages, each with one dead delivery (unsigned, no journal: never run here).

    Inserted with ``executemany`` of values prepared by the models' own fields: the
    same rows ``bulk_create`` writes, several times faster (SQLite's 999 bound
    parameters cut ``bulk_create`` into inserts of some 70 rows each).
    """
    now = timezone.now()
    field, adapt = Message._meta.get_field, connection.ops.adapt_datetimefield_value
    ids = [field("id").get_db_prep_value(uuid.uuid4(), connection) for _ in range(count)]
    created = [adapt(now - timedelta(seconds=count - n)) for n in range(count)]
    finished = adapt(now)

    def message(n: int) -> dict:
        payload = field("payload").get_db_prep_save({"key": f"bulk-{n}"}, connection)
        return {"id": ids[n], "kind": "event", "type": "tests.Ping", "version": 1, "context": "tests"} | {
            "payload": payload, "correlation_id": f"bulk-{n}", "causation_id": "", "reply_to": "",
            "created_at": created[n], "signature": "0" * 64,
        }  # fmt: skip

    def delivery(n: int) -> dict:
        return {"message_id": ids[n], "handler": "tests.ping_a", "context": "tests", "status": "dead"} | {
            "attempts": 5, "max_attempts": 5, "available_at": created[n], "last_error": OUTAGE, "traceback": "",
            "created_at": finished, "updated_at": finished, "finished_at": finished,
        }  # fmt: skip

    _insert(Message, map(message, range(count)), batch)
    _insert(Delivery, map(delivery, range(count)), batch)


def _insert(model, rows, batch: int) -> None:
    rows = iter(rows)
    first = next(rows)
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table), ", ".join(map(quote, first)), ", ".join(["%s"] * len(first))
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for chunk in _batched(itertools.chain([first], rows), batch):
            cursor.executemany(sql, [tuple(row.values()) for row in chunk])


def _batched(rows, size: int):
    while chunk := list(itertools.islice(rows, size)):
        yield chunk
