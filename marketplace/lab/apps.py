from django.apps import AppConfig


class LabConfig(AppConfig):
    name = "marketplace.lab"
    label = "lab"
    verbose_name = "Trade-off lab"
    default_auto_field = "django.db.models.BigAutoField"
