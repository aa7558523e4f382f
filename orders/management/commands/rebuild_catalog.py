"""``manage.py rebuild_catalog``: Orders' catalog rebuilt from Vendors' stored product events."""

from django.core.management.base import CommandError

from messaging.management.options import OperatingCommand
from orders.services.catalog_rebuild import CatalogRebuildError, catalog_rebuild


class Command(OperatingCommand):
    help = """Rebuild Orders' catalog (its read model of the vendors' products) from the
vendors.ProductListed, ProductPriceChanged and ProductStockChanged events stored
by messaging: oldest first, in one transaction, through the catalog's own
service functions. Each event is checked as a worker checks it (signature,
version, payload); one that fails stops the rebuild and nothing is changed.

purge_messages keeps these events (they are retained types) unless told
--include-retained: purge them and the catalog can no longer be rebuilt.

On SQLite the transaction holds the write lock while it runs: workers wait, and
an attempt that waits past the 5 s busy timeout fails and is retried later.

examples:
  manage.py rebuild_catalog --dry-run
  manage.py rebuild_catalog
"""

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Rebuild, say what changed, roll it back.")

    def handle(self, *args, dry_run: bool, **options):
        try:
            report = catalog_rebuild(dry_run=dry_run)
        except CatalogRebuildError as error:
            raise CommandError(str(error)) from None
        verb = "Dry run: would rebuild" if dry_run else "Rebuilt"
        self.stdout.write(
            f"{verb} the catalog from {report.events} events: {report.products} products "
            f"({len(report.added)} added, {len(report.removed)} removed, {len(report.changed)} changed, "
            f"{report.unchanged} unchanged)."
        )
        for label, ids in (("added", report.added), ("removed", report.removed), ("changed", report.changed)):
            if ids:
                shown = ", ".join(map(str, ids[:20])) + (", ..." if len(ids) > 20 else "")
                self.stdout.write(f"  {label}: product {shown}")
        if dry_run:
            self.stdout.write("Nothing was changed.")
