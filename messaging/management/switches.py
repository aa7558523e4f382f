"""What ``handler_pause`` and ``handler_resume`` share: every name checked by the controls' form, then the switch."""

from django.core.management.base import CommandError

from messaging import controls
from messaging.management.options import OperatingCommand


class HandlerSwitchCommand(OperatingCommand):
    paused: bool

    def add_arguments(self, parser):
        parser.add_argument("handlers", nargs="+", metavar="HANDLER", help="A handler's name (vendors.notify_vendor).")

    def handle(self, *args, handlers, **options):
        errors = []
        for name in handlers:
            form = controls.HandlerPauseForm({"handler": name, "paused": self.paused})
            errors += [] if form.is_valid() else controls.form_errors(form)
        if errors:
            raise CommandError("Nothing changed: " + " ".join(errors) + " See manage.py messaging_status for names.")
        switch = controls.handler_pause if self.paused else controls.handler_resume
        actor = controls.cli_actor()
        for name in handlers:
            switch(handler=name, actor=actor)
            self.stdout.write(f"{'Paused' if self.paused else 'Resumed'} {name}.")
