from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messaging"

    def ready(self):
        from messaging.processes import checks  # noqa: F401  (register checks and CommandOutcome)

        # Every app's public messages, then its handlers: a second handler for
        # a command raises DuplicateHandlerError here, at start-up.
        autodiscover_modules("contracts")
        autodiscover_modules("handlers")
