"""``manage.py dead_letters``: list dead-lettered deliveries, show one with its error and traceback, or retry or
archive some through ``controls.dead_letters_retry`` and ``controls.dead_letters_archive`` as the admin and the
dashboard do (the same journal entries)."""

import json
import uuid

from django.core.management.base import CommandError

from messaging import controls
from messaging.management.options import OperatingCommand, add_selection_arguments, selection_from_options
from messaging.models import Delivery, DeliveryStatus, JournalEntry
from messaging.operations.selection import keyset_batches

DEFAULT_LIMIT = 50


class Command(OperatingCommand):
    help = """List dead letters (deliveries that will not be tried again by themselves), newest
first, with the filters of replay_messages; or show one in full with --show.

--show takes a delivery id (the first column of the list) or a message id (all
of that message's dead letters): the error, the traceback, the payload, and the
journal of that delivery. --retry takes the same ids (repeat it) and gives
those dead letters a fresh set of attempts, journaled as "retried by hand"
with cli:<login> as the actor; an id that is not a dead letter and nothing
is retried. Dead letters of a permanent error are retried with a warning:
they fail the same way unless their cause was fixed. --archive takes the
same ids and takes those dead letters out of the outbox for good, journaled
as "dead letter archived" with their error. Replay them with replay_messages.

examples:
  manage.py dead_letters
  manage.py dead_letters --context vendors --since 1h
  manage.py dead_letters --type vendors.NotifyVendor --limit 500
  manage.py dead_letters --show 42
  manage.py dead_letters --show 8c4a0f6e-6f0d-4c55-9d47-1f0d1c2b3a4e
  manage.py dead_letters --retry 42 --retry 8c4a0f6e-6f0d-4c55-9d47-1f0d1c2b3a4e
  manage.py dead_letters --archive 42
"""

    def add_arguments(self, parser):
        add_selection_arguments(parser, statuses=False, limit_help=f"Show the newest N (default {DEFAULT_LIMIT}).")
        parser.add_argument("--show", metavar="ID", help="One dead letter in full: a delivery id or a message id.")
        parser.add_argument(
            "--retry", metavar="ID", action="append", default=[], help="Retry a dead letter (or a message's); repeat."
        )
        parser.add_argument(
            "--archive",
            metavar="ID",
            action="append",
            default=[],
            help="Archive a dead letter (or a message's): out of the outbox for good, journaled; repeat.",
        )

    def handle(self, *args, show, retry, archive, **options):
        if sum(map(bool, (show, retry, archive))) > 1:
            raise CommandError("--show, --retry and --archive: one at a time.")
        if show:
            return self.show(show)
        if retry:
            return self.retry(retry)
        if archive:
            return self.archive(archive)
        limit = options["limit"] if options["limit"] is not None else DEFAULT_LIMIT
        selection = selection_from_options({**options, "limit": limit}, statuses=["dead"])
        rows = (
            selection.deliveries()
            .select_related("message")
            .only("id", "handler", "attempts", "finished_at", "last_error", "message__type", "message__id")
        )
        shown = 0
        for batch in keyset_batches(rows, key=("-pk",), limit=limit):
            for delivery in batch:
                self.stdout.write(_row(delivery))
            shown += len(batch)
        total = selection.deliveries().count()
        if shown < total:
            self.stdout.write(f"Showing the newest {shown} of {total} dead letters; --limit N shows more.")
        else:
            self.stdout.write(f"{total} dead letter{'s' if total != 1 else ''}.")

    def retry(self, idents: list[str]) -> None:
        chosen = [delivery.pk for ident in idents for delivery in _find(ident, option="--retry")]
        _, permanent = controls.dead_letters_tally(delivery_ids=chosen)
        if permanent:
            self.stderr.write(
                f"Warning: {permanent} of them failed with a permanent error: retried, they fail the same way "
                "unless the cause was fixed."
            )
        retried = controls.dead_letters_retry(delivery_ids=chosen, actor=controls.cli_actor())
        self.stdout.write(f"Retried {retried} dead letter{'s' if retried != 1 else ''}.")

    def archive(self, idents: list[str]) -> None:
        chosen = [delivery.pk for ident in idents for delivery in _find(ident, option="--archive")]
        archived = controls.dead_letters_archive(delivery_ids=chosen, actor=controls.cli_actor())
        self.stdout.write(f"Archived {archived} dead letter{'s' if archived != 1 else ''}.")

    def show(self, ident: str) -> None:
        for delivery in _find(ident):
            self.stdout.write("\n".join(_details(delivery)))


def _row(delivery: Delivery) -> str:
    when = f"{delivery.finished_at:%Y-%m-%d %H:%M:%S}" if delivery.finished_at else "-"
    error = " ".join(delivery.last_error.split())
    error = error if len(error) <= 80 else error[:79] + "…"
    return f"{delivery.pk:>8}  {when}  {delivery.message.type} -> {delivery.handler}  x{delivery.attempts}  {error}"


def _find(ident: str, *, option: str = "--show") -> list[Delivery]:
    deliveries = Delivery.objects.select_related("message")
    if ident.isdigit():
        delivery = deliveries.filter(pk=int(ident)).first()
        if delivery is None:
            raise CommandError(f"{option} {ident}: no such delivery")
        if delivery.status != DeliveryStatus.DEAD:
            raise CommandError(f"{option} {ident}: delivery {ident} is not a dead letter (it is {delivery.status})")
        return [delivery]
    try:
        message_id = uuid.UUID(ident)
    except ValueError:
        raise CommandError(
            f"{option} {ident!r} is neither a delivery id (a number) nor a message id (a UUID)"
        ) from None
    found = list(deliveries.filter(message_id=message_id).order_by("pk"))
    if not found:
        raise CommandError(f"{option} {ident}: no such message")
    dead = [d for d in found if d.status == DeliveryStatus.DEAD]
    if not dead:
        statuses = ", ".join(f"{d.handler} {d.status}" for d in found)
        raise CommandError(f"{option} {ident}: the message has no dead letter ({statuses})")
    return dead


def _details(delivery: Delivery) -> list[str]:
    message = delivery.message
    journal = JournalEntry.objects.filter(message_id=message.id, handler__in=["", delivery.handler]).order_by("seq")
    lines = [
        f"Dead letter {delivery.pk}: {message.type} -> {delivery.handler}",
        f"  message      {message.id} ({message.kind}, published {message.created_at:%Y-%m-%d %H:%M:%S})",
        f"  correlation  {message.correlation_id}",
        f"  attempts     {delivery.attempts} of {delivery.max_attempts}, dead since {delivery.finished_at}",
        f"  error        {delivery.last_error}",
        "  traceback",
        *(f"    {line}" for line in (delivery.traceback or "(none recorded)").rstrip().splitlines()),
        "  payload",
        *(f"    {line}" for line in json.dumps(message.payload, indent=2, sort_keys=True).splitlines()),
        "  journal",
        *(
            f"    #{e.seq} {e.at:%Y-%m-%d %H:%M:%S} {e.step}"
            + (f" attempt {e.attempt}" if e.attempt else "")
            + (f" by {e.actor}" if e.actor else "")
            + (f": {e.detail}" if e.detail else "")
            for e in journal[:50]
        ),
        f"  replay: manage.py replay_messages --id {message.id} --handler {delivery.handler}",
        "",
    ]
    return lines
