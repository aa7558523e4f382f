"""Tracing in the test process, kept in memory: for tests of the spans one process makes."""

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from messaging.runtime.telemetry import tracing


def trace_into(exporter: InMemorySpanExporter) -> None:
    """Tracing on in this process, each span handed to ``exporter`` as it ends (``tracing.uninstall()`` ends it)."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)


def named(exporter: InMemorySpanExporter, name: str) -> list:
    return [span for span in exporter.get_finished_spans() if span.name == name]


def traceparent(span) -> str:
    """The W3C traceparent of ``span``, as a message it wrote carries it."""
    context = span.get_span_context()
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"
