import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from messaging.conf import messaging_settings
from messaging.sweeper import sweep

logger = logging.getLogger("messaging.sweeper")


class Command(BaseCommand):
    help = (
        "Every few seconds, retry deliveries whose lease expired and wake the workers "
        "for due deliveries (delayed retries, delayed messages, lost wake-ups)."
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
        while True:
            try:
                result = sweep()
            except Exception:
                if once:
                    raise
                logger.exception("sweep failed; trying again in %gs", interval)
            else:
                if result.expired or result.woken or once:
                    logger.info("swept: %d expired lease(s), %d wake-up(s)", result.expired, result.woken)
            if once or stop.wait(interval):
                return
