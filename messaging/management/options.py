"""What the operating commands share: the selection options, the operator's name, confirmation, help layout."""

import sys
from argparse import RawDescriptionHelpFormatter

from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter

from messaging.controls import cli_actor
from messaging.operations.selection import Selection, SelectionError, selection_build


class ExamplesHelpFormatter(DjangoHelpFormatter, RawDescriptionHelpFormatter):
    """Django's help layout, with the description (and its examples) printed as written."""


class OperatingCommand(BaseCommand):
    def create_parser(self, prog_name, subcommand, **kwargs):
        kwargs.setdefault("formatter_class", ExamplesHelpFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)


def add_selection_arguments(parser, *, statuses: bool = True, limit_help: str = "At most N, oldest first.") -> None:
    parser.add_argument("--id", dest="ids", action="append", default=[], metavar="UUID", help="A message id; repeat.")
    parser.add_argument(
        "--type", dest="types", action="append", default=[], metavar="TYPE", help="Message type (orders.OrderPaid)."
    )
    parser.add_argument("--kind", metavar="KIND", help="command or event.")
    if statuses:
        parser.add_argument(
            "--status",
            dest="statuses",
            action="append",
            default=[],
            metavar="STATUS",
            help="Delivery status: pending, running, failed, succeeded or dead; repeat.",
        )
    parser.add_argument(
        "--handler", dest="handlers", action="append", default=[], metavar="NAME", help="Handler name; repeat."
    )
    parser.add_argument(
        "--context",
        dest="contexts",
        action="append",
        default=[],
        metavar="NAME",
        help="The handlers' context, where the deliveries go (vendors); repeat.",
    )
    parser.add_argument("--correlation-id", metavar="ID", help="Messages of one flow (an order's id, a request id).")
    parser.add_argument(
        "--since", metavar="WHEN", help="Messages created at or after WHEN: 2h, 30m, 7d (ago) or ISO 8601 (UTC)."
    )
    parser.add_argument("--until", metavar="WHEN", help="Messages created before WHEN (same forms as --since).")
    parser.add_argument("--limit", type=int, metavar="N", help=limit_help)


def selection_from_options(options: dict, **fixed) -> Selection:
    """The checked selection, or a ``CommandError`` with one line per mistake."""
    names = ("ids", "types", "kind", "statuses", "handlers", "contexts", "correlation_id", "since", "until", "limit")
    given = {name: options[name] for name in names if options.get(name) is not None} | fixed
    try:
        return selection_build(**given)
    except SelectionError as error:
        raise CommandError(str(error)) from None


def operator() -> str:
    """``cli:<os user>``: the journal's actor for what an operator starts from a shell."""
    return cli_actor()


def interactive() -> bool:
    """True when someone can answer a question: stdin is a terminal."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except ValueError:  # stdin closed
        return False


def confirm(stdout, question: str) -> bool:
    """Ask on ``stdout`` (a command's), read the answer from stdin; anything but y or yes is no."""
    stdout.write(f"{question} [y/N] ", ending="")
    stdout.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """``1 message``, ``2 messages``, ``1 journal entry``."""
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"
