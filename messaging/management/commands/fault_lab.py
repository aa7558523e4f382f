"""``manage.py fault_lab``: show or change the fault lab, through ``controls.fault_set`` as the admin and the
dashboard do (the same form, the same journal entry)."""

from django.core.management.base import CommandError

from messaging import controls
from messaging.management.options import OperatingCommand


class Command(OperatingCommand):
    help = """Make a context's handlers unavailable, slow or flaky, on purpose; or restore it.

Options given change the context's setting, the others keep their value;
--clear restores it (no fault at all). With a context only, shows its
setting; with nothing, every context's. Each change is journaled as a
control step with cli:<login> as the actor.

examples:
  manage.py fault_lab
  manage.py fault_lab vendors --unavailable
  manage.py fault_lab vendors --latency-ms 500 --failure-rate 30
  manage.py fault_lab vendors --available
  manage.py fault_lab vendors --clear
"""

    def add_arguments(self, parser):
        parser.add_argument("context", nargs="?", help="The context whose handlers should misbehave (vendors).")
        availability = parser.add_mutually_exclusive_group()
        availability.add_argument(
            "--unavailable", dest="unavailable", action="store_const", const=True, help="Every handler fails."
        )
        availability.add_argument(
            "--available", dest="unavailable", action="store_const", const=False, help="Undo --unavailable."
        )
        parser.add_argument("--latency-ms", metavar="MS", help="Added before each handler runs (0 to 30000).")
        parser.add_argument("--failure-rate", metavar="PERCENT", help="Percent of attempts that fail (0 to 100).")
        parser.add_argument("--clear", action="store_true", help="Restore the context: no fault at all.")

    def handle(self, *args, context, unavailable, latency_ms, failure_rate, clear, **options):
        settings = controls.fault_settings()
        changes = {"unavailable": unavailable, "latency_ms": latency_ms, "failure_rate": failure_rate}
        changes = {name: value for name, value in changes.items() if value is not None}
        if context is None:
            if changes or clear:
                raise CommandError("Say which context: manage.py fault_lab CONTEXT ...")
            for fault in settings.values():
                self.stdout.write(str(fault))
            return
        if clear and changes:
            raise CommandError("--clear restores the context: it cannot be combined with other settings.")
        if context in settings and not (changes or clear):
            return self.stdout.write(str(settings[context]))
        current = settings.get(context)
        values = {"unavailable": False, "latency_ms": 0, "failure_rate": 0}
        if current is not None and not clear:
            values = {name: getattr(current, name) for name in values}
        form = controls.FaultForm({"context": context, **values, **changes})
        if not form.is_valid():
            raise CommandError("Nothing changed: " + " ".join(controls.form_errors(form)))
        fault = controls.fault_set(**form.cleaned_data, actor=controls.cli_actor())
        self.stdout.write(f"Fault lab: {fault}.")
