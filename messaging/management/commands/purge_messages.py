"""``manage.py purge_messages``: delete finished messages older than a cutoff (see ``operations.retention``)."""

from collections import defaultdict

from django.core.management.base import CommandError
from django.db import reset_queries
from django.utils import timezone

from messaging.management.options import OperatingCommand, counted
from messaging.management.progress import ProgressBar
from messaging.operations.retention import Purged, PurgeRequest, purge_preview, purge_run, retained
from messaging.operations.selection import SelectionError, parse_moment, selection_build

DEFAULT_THRESHOLD = 1000


class Command(OperatingCommand):
    help = """Delete finished messages (and their deliveries) older than a cutoff.

A message is finished when every delivery succeeded, all before the cutoff.
Messages with a delivery waiting or running are never purged; those with a dead
letter only with --include-dead. Messages of retained types are kept unless
--include-retained: a read model is rebuilt from them (Orders' catalog, from
Vendors' product events, by rebuild_catalog). The journal is the history and is
kept unless --with-journal.

A purge of more than --threshold messages is a dry run unless --yes.

examples:
  manage.py purge_messages --older-than 30d --dry-run
  manage.py purge_messages --older-than 30d --yes
  manage.py purge_messages --older-than 2025-01-01 --include-dead --with-journal --yes
  manage.py purge_messages --older-than 90d --type orders.OrderPaid
"""

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            required=True,
            metavar="AGE",
            help="Finished before this: 30d, 12h, 2w ago, or an ISO 8601 date or time (UTC).",
        )
        parser.add_argument("--include-dead", action="store_true", help="Purge messages with dead letters too.")
        parser.add_argument(
            "--include-retained", action="store_true", help="Purge retained types too (read models' sources)."
        )
        parser.add_argument("--with-journal", action="store_true", help="Delete their journal entries too.")
        parser.add_argument(
            "--type", dest="types", action="append", default=[], metavar="TYPE", help="Only this type; repeat."
        )
        parser.add_argument("--dry-run", action="store_true", help="Count what would go, by type; delete nothing.")
        parser.add_argument("--yes", action="store_true", help="Purge whatever the number.")
        parser.add_argument(
            "--threshold",
            type=int,
            default=DEFAULT_THRESHOLD,
            metavar="N",
            help=f"Without --yes, a purge of more than N messages is a dry run (default {DEFAULT_THRESHOLD}).",
        )
        parser.add_argument("--batch-size", type=int, default=500, metavar="N", help="Messages per transaction.")

    def handle(self, *args, older_than, include_dead, include_retained, with_journal, types, dry_run, yes, **options):
        request = PurgeRequest(
            cutoff=self.cutoff(older_than),
            include_dead=include_dead,
            include_retained=include_retained,
            with_journal=with_journal,
            types=self.types(types, include_retained),
            batch_size=options["batch_size"],
        )
        if options["threshold"] < 0:
            raise CommandError(f"--threshold must be 0 or more (got {options['threshold']})")
        if request.batch_size < 1:
            raise CommandError(f"--batch-size must be at least 1 (got {request.batch_size})")
        preview = purge_preview(request)
        if dry_run or (preview["messages"] > options["threshold"] and not yes):
            if not dry_run:
                self.stdout.write(
                    f"{counted(preview['messages'], 'message')} to purge, more than {options['threshold']}: "
                    "dry run only; add --yes to purge them."
                )
            return self.show_preview(request, preview)
        progress = ProgressBar.on_stderr(self, preview["messages"])

        def show(done: Purged) -> None:
            reset_queries()  # with DEBUG on, Django would keep every query of a long run
            progress.update(done.messages)

        try:
            purged = purge_run(request, on_batch=show)
        finally:
            progress.finish()
        journal = f", {counted(purged.journal_entries, 'journal entry', 'journal entries')}" if with_journal else ""
        self.stdout.write(
            f"Purged {counted(purged.messages, 'message')}, {counted(purged.deliveries, 'delivery', 'deliveries')}"
            + (journal or "; the journal is kept")
            + "."
        )
        self.say_kept(preview)

    def cutoff(self, text: str):
        errors, now = [], timezone.now()
        cutoff = parse_moment("--older-than", text, now, errors)
        if cutoff and cutoff >= now:
            errors.append(f"--older-than {text} is not in the past: it would take messages finished from now on")
        if errors:
            raise CommandError("\n".join(errors))
        return cutoff

    def types(self, types: list[str], include_retained: bool) -> tuple[str, ...]:
        try:
            selection_build(types=types)
        except SelectionError as error:
            raise CommandError(str(error)) from None
        kept = retained()
        if refused := [t for t in types if t in kept and not include_retained]:
            raise CommandError(
                f"--type {refused[0]} is retained ({kept[refused[0]]}): add --include-retained to purge it anyway"
            )
        return tuple(types)

    def show_preview(self, request: PurgeRequest, preview: dict) -> None:
        for message_type, count in preview["by_type"].items():
            self.stdout.write(f"  {count:>9,}  {message_type}")
        entries = counted(preview["journal_entries"], "journal entry", "journal entries")
        journal = f", {entries}" if request.with_journal else ""
        deliveries = counted(preview["deliveries"], "delivery", "deliveries")
        self.stdout.write(
            f"Dry run: would purge {counted(preview['messages'], 'message')} ({deliveries}{journal}) "
            f"finished before {request.cutoff:%Y-%m-%d %H:%M:%S}. Nothing was deleted."
        )
        self.say_kept(preview)

    def say_kept(self, preview: dict) -> None:
        if preview["kept_retained"]:
            by_reason = defaultdict(list)
            for name, why in sorted(retained().items()):
                by_reason[why].append(name)
            reasons = "; ".join(f"{', '.join(names)}: {why}" for why, names in by_reason.items())
            self.stdout.write(
                f"Kept {counted(preview['kept_retained'], 'message')} of retained types ({reasons}); "
                "--include-retained purges them too."
            )
