"""``manage.py run_experiment``: the trade-off lab from a shell (the dashboard's Trade-offs page starts the same)."""

import json
import signal

from django.core.management.base import BaseCommand, CommandError

from marketplace.lab import records
from marketplace.lab.forms import ALL, SCHEDULES, ExperimentForm, scenario_names
from marketplace.lab.models import Experiment
from marketplace.lab.runner import LabError, experiment_run
from marketplace.lab.scenarios import SCENARIOS, SETTINGS
from messaging import controls

INTERRUPTED = 130


class Command(BaseCommand):
    help = """Run the same seeded workload in event style and in command style under a scenario, on the running
stack (its workers and the fault lab), and show what each style did: latency, failures Orders was told
of, cancellations, lost and stuck orders, messages, attempts and rows per order, and a verdict per row.

Scenarios: baseline, vendors-down, flaky, slow, vendor-silent (or all). The experiment's orders are
tagged and kept out of the shop's own figures. The workers must be running (make run).

examples:
  manage.py run_experiment
  manage.py run_experiment --scenario vendors-down --down-seconds 30 --orders 200
  manage.py run_experiment --scenario all --orders 50 --seed 7 --json
"""

    def add_arguments(self, parser):
        parser.add_argument(
            "--scenario",
            dest="scenarios",
            action="append",
            choices=[*SCENARIOS, ALL],
            metavar="NAME",
            help=f"One of {', '.join(SCENARIOS)} or {ALL}; repeat for several (default baseline).",
        )
        parser.add_argument("--orders", type=int, default=50, help="Orders per style (default 50).")
        parser.add_argument("--rate", type=float, default=5.0, help="Orders per second per style (default 5).")
        parser.add_argument("--seed", type=int, help="Same seed, same carts (default: drawn, and printed).")
        parser.add_argument("--schedule", choices=list(SCHEDULES), default="interleaved", help="Default interleaved.")
        parser.add_argument(
            "--settle-timeout", type=int, default=90, help="Seconds to wait for orders to settle (default 90)."
        )
        for setting in SETTINGS.values():
            parser.add_argument(
                setting.option, type=int, help=f"{setting.help} Default {setting.default} {setting.unit}."
            )
        parser.add_argument("--json", action="store_true", help="Print the experiment as JSON (progress on stderr).")
        parser.add_argument("--experiment", type=int, metavar="ID", help="Run this queued experiment (the dashboard).")

    def handle(self, *args, json: bool, experiment: int | None, **options):
        run = self._queued(experiment) if experiment is not None else self._created(options)
        previous = signal.signal(signal.SIGTERM, _interrupt)  # a stop clears the fault lab as Ctrl-C does
        try:
            self._run(run, json=json)
        finally:
            signal.signal(signal.SIGTERM, previous)

    def _run(self, run: Experiment, *, json: bool) -> None:
        echo = self.stderr.write if json else self.stdout.write
        echo(f"Experiment {run.pk}: seed {run.parameters['seed']}; follow it on the dashboard's Trade-offs page.")
        try:
            experiment_run(run, echo=echo)
        except KeyboardInterrupt:
            message = f"Experiment {run.pk} interrupted; the fault lab is restored."
            raise CommandError(message, returncode=INTERRUPTED) from None
        except records.ExperimentStopped as stopped:
            message = f"Experiment {run.pk} interrupted: {stopped} The fault lab is restored."
            raise CommandError(message, returncode=INTERRUPTED) from None
        except LabError as error:
            raise CommandError(str(error)) from None
        if json:
            self.stdout.write(_dumps(records.experiment_json(run)))
        else:
            self._print(run)

    def _created(self, options: dict) -> Experiment:
        data = {name: value for name, value in options.items() if name in ExperimentForm.base_fields}
        data["scenarios"] = scenario_names(options["scenarios"] or ["baseline"])
        form = ExperimentForm({name: value for name, value in data.items() if value is not None})
        if not form.is_valid():
            raise CommandError("Nothing run: " + " ".join(_option_errors(form)))
        try:
            return records.experiment_create(parameters=form.parameters(), actor=controls.cli_actor())
        except records.ExperimentBusy as busy:
            raise CommandError(f"{busy} Wait for it, or see it on the dashboard's Trade-offs page.") from None

    def _queued(self, pk: int) -> Experiment:
        found = Experiment.objects.filter(pk=pk).first()
        if found is None:
            raise CommandError(f"No experiment {pk}.")
        if found.status != Experiment.Status.QUEUED:
            raise CommandError(f"Experiment {pk} is {found.status}: only a queued experiment can be run.")
        return found

    def _print(self, run: Experiment) -> None:
        for scenario in run.results["scenarios"]:
            self.stdout.write("")
            self.stdout.write(
                self.style.MIGRATE_HEADING(f"{scenario['title']} ({scenario['orders_per_style']} orders per style)")
            )
            width = max(len(row["label"]) for row in scenario["rows"])
            columns = [max(len(row[style]) for row in scenario["rows"]) for style in ("event", "command")]
            self.stdout.write(f"{'':{width}}  {'event':{columns[0]}}  {'command':{columns[1]}}  verdict")
            for row in scenario["rows"]:
                event, command = f"{row['event']:{columns[0]}}", f"{row['command']:{columns[1]}}"
                self.stdout.write(f"{row['label']:{width}}  {event}  {command}  {row['verdict']}")
            for finding in scenario["findings"]:
                self.stdout.write(f"- {finding}")


def _option_errors(form: ExperimentForm) -> list[str]:
    """The form's errors, each naming its option (--orders) rather than its field."""
    options = {name: "--" + name.replace("_", "-") for name in form.fields}
    options["scenarios"] = "--scenario"
    return [
        f"{options.get(field, '')}: {error}".removeprefix(": ")
        for field, errors in form.errors.items()
        for error in errors
    ]


def _dumps(value: dict) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _interrupt(signum, frame):
    raise KeyboardInterrupt
