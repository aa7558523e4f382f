"""``manage.py qcluster``: django-q2's cluster, run under messaging's supervisor.

The same command and options as django-q2's own (this app comes before
``django_q`` in ``INSTALLED_APPS``, so its command wins), with what django-q2
lacks for running unattended: heartbeats, a wedged cluster replaced, a
regular sweep, and an orderly stop on SIGTERM (see ``messaging.processes.supervisor``).
"""

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Start a django-q2 cluster (Q_CLUSTER['workers'] worker processes) under messaging's supervisor: it "
        "beats a heartbeat, replaces the cluster when it stops taking work, sweeps expired leases and lost "
        "wake-ups, and on SIGTERM or Ctrl-C lets the workers finish the delivery in hand (MESSAGING['stop_grace'])."
    )

    def add_arguments(self, parser):
        parser.add_argument("--run-once", action="store_true", dest="run_once", help="Start, then stop at once.")
        parser.add_argument(
            "-n",
            "--name",
            dest="cluster_name",
            default=None,
            help="Another cluster name than Q_CLUSTER's (the broker's queue name): a multi-queue setup.",
        )
        parser.add_argument(
            "--stop-grace",
            type=float,
            default=None,
            metavar="SECONDS",
            help="On SIGTERM or Ctrl-C, how long the deliveries in hand may finish before the cluster is killed "
            "(default MESSAGING['stop_grace']). Keep it under what the process manager waits before SIGKILL: "
            "the Procfile gives 3 s, as honcho kills 5 s after its SIGTERM.",
        )

    def handle(self, *args, run_once: bool, cluster_name: str | None, stop_grace: float | None, **options):
        settings.SECRET_KEY  # noqa: B018  (signing needs it: fail here, not in a worker)
        if cluster_name:
            os.environ["Q_CLUSTER_NAME"] = cluster_name
        from messaging.processes.supervisor import Supervisor

        if stop_grace is not None and not 0 <= stop_grace <= 3600:
            raise CommandError(f"--stop-grace must be between 0 and 3600 seconds (got {stop_grace:g}).")
        raise SystemExit(Supervisor(stop_grace=stop_grace).run(once=run_once))
