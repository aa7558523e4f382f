"""``manage.py messaging_metrics_reset``: remove the metric files of a deployment that has stopped."""

from django.core.management.base import BaseCommand

from messaging.runtime.telemetry import metric_files, metrics


class Command(BaseCommand):
    help = """Remove every process's metric files (METRICS_DIR), when no process that
wrote them is still running; run it as a deployment starts, before its
processes (make run does). Their counts went with the processes that made
them: Prometheus reads the drop as counters reset. While one still runs it
removes nothing, so starting one process beside running ones keeps the
totals. Does nothing where metrics are off (no METRICS_TOKEN)."""

    def handle(self, *args, **options):
        if not metrics.enabled():
            self.stdout.write("Metrics are off (no METRICS_TOKEN): nothing to reset.")
            return
        reset = metric_files.files_reset()
        where = metric_files.directory()
        if reset.writing:
            pids = ", ".join(map(str, reset.writing))
            self.stdout.write(f"Kept the metric files in {where}: processes {pids} still write there.")
        else:
            self.stdout.write(f"Removed {reset.removed} metric files from {where}.")
