import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from messaging.models import ProcessKind, ProcessState
from messaging.processes import connections, watchdog
from messaging.processes.heartbeat import Heartbeat
from messaging.processes.sweeper import ACTOR, sweep
from messaging.runtime import worker
from messaging.runtime.conf import messaging_settings

logger = logging.getLogger("messaging.processes.sweeper")


class Command(BaseCommand):
    help = (
        "Every few seconds, retry deliveries whose lease expired (or that no lease can free), wake the workers "
        "for due deliveries (delayed retries, delayed messages, lost wake-ups), and watch the workers: declare "
        "silent the processes whose heartbeats stopped, and run due deliveries itself while no cluster takes "
        "work. One or more may run, on any host."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Seconds between sweeps (default: MESSAGING['sweep_interval'], 2).",
        )
        parser.add_argument("--once", action="store_true", help="Sweep once and exit.")

    def handle(self, *args, interval, once, **options):
        interval = messaging_settings().sweep_interval if interval is None else interval
        if not 0 < interval <= 30:
            raise CommandError(f"--interval must be between 0 and 30 seconds, not {interval}")
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        if not once:
            self.stdout.write(f"Sweeping every {interval:g}s; Ctrl-C stops.")
        heartbeat = Heartbeat(ProcessKind.SWEEPER)
        failing = False
        while True:
            try:
                connections.refresh()
                heartbeat.beat(ProcessState.RUNNING)
                result = sweep()
                watch = watchdog.watch(actor=ACTOR)
                ran = worker.drain(actor=ACTOR) if watch.stalled else 0
            except Exception as error:
                if once:
                    raise
                if not failing:  # once per outage, not every interval
                    logger.exception("sweep failed; trying again every %gs (%s)", interval, error)
                failing = True
                connections.drop()  # a broken connection is reopened at the next sweep
            else:
                if failing:
                    logger.warning("sweeping again: the database answers")
                failing = False
                if result.expired or result.woken or ran or once:
                    logger.info(
                        "swept: %d expired lease(s), %d wake-up(s), %d delivery(ies) run while stalled",
                        result.expired, result.woken, ran,
                    )  # fmt: skip
            if once or stop.wait(interval):
                break
        try:
            heartbeat.beat(ProcessState.STOPPED)
        except Exception:
            logger.warning("could not say this sweeper stopped; it will be declared silent")
