"""Features a benchmark phase can run with switched on, to compare with the same phase off.

A ``Toggle`` says what switches its feature on: variables every process needs from the start (read once,
at import: set before Django starts, harmless while the feature is off), variables that switch it on in
the processes a phase starts (the cluster copies this process's environment), and settings that switch it
on in this process (which publishes). ``TOGGLES`` names them for ``--<name>`` options; another feature is
one more entry.
"""

import os
from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from django.test import override_settings

METRICS_TOKEN = "bench-metrics-token"


@dataclass(frozen=True)
class Toggle:
    name: str  # printed as "b <name>" and in "--<name>"
    help: str
    start_env: dict[str, str] = field(default_factory=dict)  # "{dir}" is the benchmark's temp dir
    on_env: dict[str, str] = field(default_factory=dict)
    on_settings: dict = field(default_factory=dict)
    serving: Callable[[], AbstractContextManager[dict[str, str]]] | None = None  # a server for the run: its env

    def prepare(self, directory: Path) -> None:
        """Set the variables read at start-up; before ``django.setup()``."""
        for name, value in self.start_env.items():
            os.environ[name] = value.format(dir=directory)

    @contextmanager
    def on(self):
        """The feature on, in this process and in the processes started meanwhile."""
        with self.serving() if self.serving else nullcontext({}) as served:
            variables = {**self.on_env, **served}
            saved = {name: os.environ.get(name) for name in variables}
            os.environ.update(variables)
            try:
                with override_settings(**self.on_settings), self.tracing_here(variables):
                    yield
            finally:
                _restore(saved)

    @contextmanager
    def tracing_here(self, variables: dict[str, str]):
        """Trace this process too when the variables ask for it (it read them at start-up, before they were set)."""
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        from messaging.runtime.telemetry import tracing

        if not tracing.wanted(variables):
            yield
            return
        provider = TracerProvider()  # the sampler from OTEL_TRACES_SAMPLER, now set
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        tracing.install(provider)
        try:
            yield
        finally:
            tracing.uninstall()
            provider.shutdown()


def _restore(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextmanager
def _collector():
    """An OTLP/HTTP receiver that takes the spans without reading them, as a collector on another host would."""
    from tests.otlp_receiver import OtlpReceiver

    with OtlpReceiver(decoding=False) as receiver:
        yield {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}
        print(f"    (the collector took {receiver.requests} exports, {receiver.bytes / 1e6:.1f} MB)", flush=True)


TOGGLES = {
    "metrics": Toggle(
        "metrics on",
        "also run (b) with Prometheus metrics recorded (METRICS_TOKEN set) and print the ratio to (b) off",
        start_env={"PROMETHEUS_MULTIPROC_DIR": "{dir}/metrics"},
        on_env={"METRICS_TOKEN": METRICS_TOKEN},
        on_settings={"METRICS_TOKEN": METRICS_TOKEN},
    ),
    "tracing": Toggle(
        "tracing on",
        "also run (b) with every delivery traced (OpenTelemetry, all spans exported to a local OTLP receiver)",
        on_env={"OTEL_TRACES_SAMPLER": "parentbased_always_on"},
        serving=_collector,
    ),
    "tracing-sampled": Toggle(
        "tracing 10%",
        "also run (b) traced with a tenth of the traces sampled (OTEL_TRACES_SAMPLER=parentbased_traceidratio)",
        on_env={"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"},
        serving=_collector,
    ),
}
