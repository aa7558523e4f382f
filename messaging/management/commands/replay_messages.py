"""``manage.py replay_messages``: run stored messages through their handlers again (see ``operations.replay``),
through ``controls.deliveries_replay``: the dashboard's and the admin's Replay leave the same journal entry."""

from django.core.management.base import CommandError
from django.db import reset_queries

from messaging import controls
from messaging.management.options import (
    OperatingCommand,
    add_selection_arguments,
    confirm,
    interactive,
    operator,
    selection_from_options,
)
from messaging.management.progress import ProgressBar
from messaging.operations.replay import (
    BATCH_SIZE,
    ReplayRequest,
    Tally,
    replay_count,
    replay_targets,
    verdict,
)
from messaging.operations.selection import SelectionError

DEFAULT_THRESHOLD = 100


class Command(OperatingCommand):
    help = """Re-deliver stored messages to their handlers, or deliver past events to a new subscriber.

Selects deliveries (one per message and handler) with the filters below, all
combined. A delivery that failed or was dead-lettered goes back to pending with
a fresh set of attempts; one that already succeeded is skipped unless --force:
its handler then runs again, and whatever it does besides its own rows (an
e-mail, a call to a payment gateway) happens again unless the handler checks
that it was done. Pending or running ones are left to run. Each replayed
delivery is journaled as "replayed" with who started it. Two replays of the
same deliveries at once take each one once.

A replay of more than --threshold deliveries asks first, unless --yes; when
stdin is not a terminal it does a dry run instead and says so.

examples:
  manage.py replay_messages --status dead --dry-run
  manage.py replay_messages --status dead --context vendors --since 2h --yes
  manage.py replay_messages --id 8c4a0f6e-6f0d-4c55-9d47-1f0d1c2b3a4e --force
  manage.py replay_messages --type orders.OrderPaid --handler orders.receipt_email --status failed
  manage.py replay_messages --to-handler orders.catalog_add_product --since 7d
"""

    def add_arguments(self, parser):
        add_selection_arguments(parser)
        parser.add_argument("--dry-run", action="store_true", help="List what would run, per message and handler.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Re-run deliveries that already succeeded: their side effects (an e-mail) happen again.",
        )
        parser.add_argument(
            "--to-handler",
            metavar="NAME",
            help="Catch-up: deliver past events of the type NAME subscribes to, oldest first, "
            "to NAME only, where it has no delivery yet.",
        )
        parser.add_argument("--yes", action="store_true", help="Do not ask, whatever the number.")
        parser.add_argument(
            "--threshold",
            type=int,
            default=DEFAULT_THRESHOLD,
            metavar="N",
            help=f"Ask before replaying more than N deliveries (default {DEFAULT_THRESHOLD}).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            metavar="N",
            help=f"Rows per transaction (default {BATCH_SIZE}).",
        )

    def handle(self, *args, dry_run, yes, threshold, **options):
        if threshold < 0:
            raise CommandError(f"--threshold must be 0 or more (got {threshold})")
        request = replay_request(options)
        matched, runnable = replay_count(request)
        if dry_run:
            return self.preview(request)
        if runnable > threshold and not yes:
            if not interactive():
                self.stdout.write(
                    f"{runnable} deliveries to replay, more than {threshold}, and stdin is not a terminal: "
                    "dry run only; add --yes to replay them."
                )
                return self.preview(request)
            if not confirm(self.stdout, f"Replay {runnable} deliveries ({matched} matched)?"):
                self.stdout.write("Nothing replayed.")
                return
        self.replay(request, matched)

    def preview(self, request: ReplayRequest) -> None:
        tally = Tally()
        for targets in replay_targets(request):
            for target in targets:
                decided = verdict(target, force=request.force)
                message = target.message
                line = f"{decided.action:<7} {message.created_at:%Y-%m-%d %H:%M:%S} {message.id} {message.type}"
                line += f" -> {target.handler} [{target.status or 'no delivery yet'}]"
                self.stdout.write(line + (f" {decided.reason}" if decided.reason else ""))
                tally.matched += 1
                if decided.action == "skip":
                    tally.skipped += 1
                elif decided.action == "fail":
                    tally.failed += 1
                else:
                    tally.enqueued += 1
        self.stdout.write(
            f"Dry run: matched {tally.matched}, would enqueue {tally.enqueued}, would skip {tally.skipped}, "
            f"would fail {tally.failed}. Nothing was changed."
        )

    def replay(self, request: ReplayRequest, matched: int) -> None:
        progress = ProgressBar(
            matched, lambda text: self.stderr.write(text, style_func=str, ending=""), enabled=self.stderr.isatty()
        )

        def show(tally: Tally) -> None:
            reset_queries()  # with DEBUG on, Django would keep every query of a long run
            progress.update(tally.matched, f"enqueued {tally.enqueued}, skipped {tally.skipped}, failed {tally.failed}")

        try:
            tally = controls.deliveries_replay(request, on_batch=show)
        finally:
            progress.finish()
        self.stdout.write(
            f"Matched {tally.matched}, enqueued {tally.enqueued}, skipped {tally.skipped}, failed {tally.failed}."
        )
        if tally.failed:
            raise CommandError(f"{tally.failed} could not be replayed: " + "; ".join(tally.errors))


def replay_request(options: dict) -> ReplayRequest:
    """The checked request, journaled as the command line that repeats it; ``CommandError`` if wrong."""
    try:
        return controls.replay_request_build(
            selection=selection_from_options(options),
            actor=operator(),
            force=options["force"],
            to_handler=options["to_handler"],
            batch_size=options["batch_size"],
        )
    except SelectionError as error:
        raise CommandError(str(error)) from None
