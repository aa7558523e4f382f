from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self):
        # The catalog is rebuilt from Vendors' stored product events: purge_messages must keep them.
        from orders.services.catalog_rebuild import catalog_events_retain

        catalog_events_retain()
