"""Reading and starting experiments: what the dashboard and ``run_experiment`` share.

One experiment runs at a time (a unique constraint on the ``active`` flag, across every process). One whose
process died (killed, the machine restarted) would hold that flag for ever: it is marked interrupted when its
heartbeat, written with its progress at least every ``BEAT_SECONDS``, is older than ``DEAD_AFTER`` (a heartbeat
rather than its process id, which means nothing on another web host).
"""

import subprocess
import sys
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone

from marketplace.lab.models import Experiment

BEAT_SECONDS = 1.0
DEAD_AFTER = timedelta(seconds=30)
RECENT = 50


class ExperimentStopped(Exception):
    """Someone asked the running experiment to stop."""


class ExperimentBusy(Exception):
    """Another experiment is queued or running."""

    def __init__(self, running: Experiment):
        self.running = running
        super().__init__(f"Experiment {running.pk} is {running.status}: one experiment runs at a time.")


def experiments_recent(*, limit: int = RECENT) -> list[Experiment]:
    return list(Experiment.objects.order_by("-created_at")[:limit])


def experiment_or_404(pk: int) -> Experiment:
    return get_object_or_404(Experiment, pk=pk)


def experiment_active() -> Experiment | None:
    """The experiment queued or running now, if any (one whose process died is marked interrupted first)."""
    active = Experiment.objects.filter(active=True).first()
    if active is not None and _abandoned(active):
        experiment_end(active, status=Experiment.Status.INTERRUPTED, error="Its process stopped without a word.")
        return None
    return active


def experiment_create(*, parameters: dict, actor: str) -> Experiment:
    """A queued experiment; ``ExperimentBusy`` while another is queued or running."""
    running = experiment_active()
    if running is not None:
        raise ExperimentBusy(running)
    try:
        with transaction.atomic():
            return Experiment.objects.create(parameters=parameters, actor=actor, progress=_beat({}))
    except IntegrityError:  # another process created one between the check and the insert
        raise ExperimentBusy(Experiment.objects.get(active=True)) from None


def experiment_launch(*, parameters: dict, actor: str) -> Experiment:
    """Create the experiment and run it in a process of its own (``manage.py run_experiment --experiment ID``).

    The web process answers at once; the page follows the progress the runner writes.
    """
    experiment = experiment_create(parameters=parameters, actor=actor)
    log = settings.VAR_DIR / "log" / f"experiment-{experiment.pk}-{experiment.created_at:%Y%m%dT%H%M%S}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    manage = str(settings.BASE_DIR / "manage.py")
    command = [sys.executable, manage, "run_experiment", "--experiment", str(experiment.pk)]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives the request, and a web server's restart
        )
    Experiment.objects.filter(pk=experiment.pk, pid__isnull=True).update(pid=process.pid)
    experiment.pid = experiment.pid or process.pid
    return experiment


def experiment_progress(experiment: Experiment, **progress) -> None:
    """Record where the run is (and that it lives); ``ExperimentStopped`` once someone asked it to stop."""
    experiment.progress = _beat({**experiment.progress, **progress})
    Experiment.objects.filter(pk=experiment.pk).update(progress=experiment.progress)
    stop_requested_by = Experiment.objects.filter(pk=experiment.pk).values_list("stop_requested_by", flat=True)
    if stop_requested_by.first():
        raise ExperimentStopped(f"Stopped by {stop_requested_by.first()}.")


def experiment_stop(experiment: Experiment, *, actor: str) -> bool:
    """Ask a queued or running experiment to stop (its runner clears its fault and records it interrupted).

    Works from any host: the runner reads the request with its progress, every second. Returns whether it was
    still active.
    """
    return bool(Experiment.objects.filter(pk=experiment.pk, active=True).update(stop_requested_by=actor))


def experiment_end(experiment: Experiment, *, status: str, error: str = "") -> None:
    experiment.status, experiment.error, experiment.active = status, error, None
    experiment.finished_at = timezone.now()
    experiment.progress = _beat({**experiment.progress, "phase": "done"})
    experiment.save(update_fields=["status", "error", "active", "finished_at", "progress", "results"])


def _beat(progress: dict) -> dict:
    return {**progress, "beat": timezone.now().isoformat()}


def _abandoned(experiment: Experiment) -> bool:
    beat = experiment.progress.get("beat")
    if beat is None:
        return True
    return timezone.now() - datetime.fromisoformat(beat) > DEAD_AFTER


def experiment_json(experiment: Experiment) -> dict:
    """The experiment as ``run_experiment --json`` prints it and the dashboard serves it."""
    return {
        "id": experiment.pk,
        "status": experiment.status,
        "done": experiment.done,
        "actor": experiment.actor,
        "parameters": experiment.parameters,
        "progress": experiment.progress,
        "results": experiment.results,
        "error": experiment.error,
        "stop_requested_by": experiment.stop_requested_by,
        "created_at": _iso(experiment.created_at),
        "started_at": _iso(experiment.started_at),
        "finished_at": _iso(experiment.finished_at),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
