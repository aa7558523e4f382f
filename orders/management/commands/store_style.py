"""``manage.py store_style``: show or switch how Orders tells Vendors about a paid order, through
``store_settings_update`` as the admin and the dashboard do (the same form, the same journal entry)."""

from django.core.management.base import BaseCommand, CommandError

from messaging import controls
from orders.services.settings import store_settings, store_settings_update
from orders.settings_form import StyleForm


class Command(BaseCommand):
    help = (
        "Show the store's style, or switch it: event (publish OrderPaid) or command (send NotifyVendor to each "
        "vendor). Applies to orders paid from now on; journaled as a control step with cli:<login> as the actor."
    )

    def add_arguments(self, parser):
        parser.add_argument("style", nargs="?", metavar="STYLE", help="event or command; none to show the current one.")

    def handle(self, *args, style, **options):
        if style is None:
            return self.stdout.write(f"Orders tells Vendors about paid orders in {store_settings().style} style.")
        form = StyleForm({"style": style})
        if not form.is_valid():
            raise CommandError("Nothing changed: " + " ".join(controls.form_errors(form)))
        after = store_settings_update(style=form.cleaned_data["style"], actor=controls.cli_actor()).style
        self.stdout.write(f"Orders now tells Vendors about paid orders in {after} style.")
