import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from messaging.runtime.telemetry import tracing
from tests.messaging.tracing_helpers import trace_into


@pytest.fixture
def spans():
    """Tracing on in this process for the test, its spans kept in memory (``spans.get_finished_spans()``)."""
    exporter = InMemorySpanExporter()
    trace_into(exporter)
    yield exporter
    tracing.uninstall()
