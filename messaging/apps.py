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

        from messaging.runtime import pipeline
        from messaging.runtime.telemetry import metrics_step, tracing, tracing_step

        tracing.configure()  # only when the OTEL_* variables ask for traces
        pipeline.register(tracing_step.consumer, before="outcome", name="tracing.consumer")
        pipeline.register(tracing_step.handler, before="handler", name="tracing.handler")
        pipeline.register(metrics_step.step, before="outcome", name="metrics")
