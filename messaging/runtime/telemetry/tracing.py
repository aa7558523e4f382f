"""OpenTelemetry traces: one trace from a web request through every message it caused, across processes.

Off unless the standard variables ask for it (``wanted``): OTEL_TRACES_EXPORTER=otlp, or an
OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; OTEL_SDK_DISABLED=true wins. They are read
once, when messaging is ready (``configure``), in every process: web, cluster, sweeper, any command. Off,
nothing is installed, no span is made, no message carries a traceparent, and publishing and each delivery
pay one test of ``enabled``.

On, spans go through a batch processor to an OTLP/HTTP collector; the SDK reads the other variables itself
(OTEL_EXPORTER_OTLP_*, OTEL_BSP_*, OTEL_TRACES_SAMPLER, OTEL_RESOURCE_ATTRIBUTES). The service is named by
OTEL_SERVICE_NAME, else "marketplace". A trace holds:

- the request's server span (``messaging.middleware.TracingMiddleware``), continuing an incoming traceparent;
- a producer span for each message written ("publish orders.OrderPaid", "send vendors.NotifyVendor"), whose
  context the message carries in its envelope as a W3C ``traceparent``;
- for each delivery attempt, in a worker, a consumer span ("process orders.OrderPaid") whose parent is that
  producer span, and in it the handler's span (``tracing_step``); what the handler writes hangs below.

django-q2 forks its workers. In a forked child the SDK starts the batch processor's thread again and gives
the process its own ``service.instance.id``; the exporter's open connections are the parent's, so the child
drops them, and a worker flushes its spans as it exits: at a forked child's exit multiprocessing runs its
finalizers, not ``atexit``.
"""

import multiprocessing.util
import os
import re
from collections.abc import Mapping

import requests
from django.core.exceptions import ImproperlyConfigured
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

SERVICE = "marketplace"
SYSTEM = "marketplace"  # messaging.system: the outbox is its own messaging system
OTLP_EXPORTERS = {"otlp", "otlp_proto_http"}
OTLP_PROTOCOL = "http/protobuf"  # the one exporter installed; gRPC would need another package
TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")

enabled = False  # read on every publish and every delivery: all that tracing costs them when off
_tracer: trace.Tracer = trace.NoOpTracer()
_provider: TracerProvider | None = None
_w3c = TraceContextTextMapPropagator()


def wanted(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the OTEL_* variables ask for traces; a request this process cannot honour raises at start-up."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = {name.strip().lower() for name in environ.get("OTEL_TRACES_EXPORTER", "").split(",") if name.strip()}
    if exporters - OTLP_EXPORTERS - {"none"}:
        raise ImproperlyConfigured(
            f"OTEL_TRACES_EXPORTER={environ['OTEL_TRACES_EXPORTER']!r}: only otlp (over HTTP) is installed, or none"
        )
    endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if "none" in exporters or not (exporters or endpoint):
        return False
    protocol = environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
    if protocol and protocol != OTLP_PROTOCOL:
        raise ImproperlyConfigured(f"OTLP protocol {protocol!r}: only {OTLP_PROTOCOL} is installed (port 4318)")
    return True


def configure() -> None:
    """Install this process's tracer provider if the environment asks for traces (once, from ``ready()``)."""
    global _provider
    if _provider is not None or not wanted():
        return
    session = requests.Session()
    provider = TracerProvider(resource=_resource())
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(session=session)))
    trace.set_tracer_provider(provider)  # for any library that traces through the API
    install(provider)
    _provider = provider
    os.register_at_fork(after_in_child=session.close)  # a kept-alive connection of the parent is not the child's
    multiprocessing.util.register_after_fork(provider, _flush_at_exit)


def _resource() -> Resource:
    resource = Resource.create()  # OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, read by the SDK
    if resource.attributes[SERVICE_NAME].startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: SERVICE}))
    return resource


def _flush_at_exit(provider: TracerProvider) -> None:
    # In each child multiprocessing starts (django-q2's workers): atexit's handler never runs there.
    multiprocessing.util.Finalize(provider, provider.shutdown, exitpriority=0)


def flush() -> None:
    """Export the spans this process still holds, now (before an exit that skips the finalizers)."""
    if _provider is not None:
        _provider.force_flush()


def install(provider: trace.TracerProvider) -> None:
    """Trace through ``provider`` from now on (``configure`` does; tests give theirs)."""
    global enabled, _tracer
    _tracer, enabled = provider.get_tracer("messaging"), True


def uninstall() -> None:
    global enabled, _tracer
    _tracer, enabled = trace.NoOpTracer(), False


def tracer() -> trace.Tracer:
    return _tracer


# --- the envelope's traceparent ------------------------------------------------------------------------------


def traceparent_of(span: Span) -> str:
    """``span``'s context as a W3C traceparent ("" for no span)."""
    carrier: dict[str, str] = {}
    _w3c.inject(carrier, context=trace.set_span_in_context(span))
    return carrier.get("traceparent", "")


def context_from(carrier: Mapping[str, str]):
    """The context to continue from a carrier's traceparent (request headers, a stored message's): none, so a
    new trace, when it has none or a malformed one."""
    return _w3c.extract(carrier)


def trace_id_of(traceparent: str) -> str:
    """The trace id (32 hex digits) of a stored traceparent, or ""."""
    match = TRACEPARENT.match(traceparent or "")
    return match[1] if match and match[1] != "0" * 32 else ""


# --- spans --------------------------------------------------------------------------------------------------


def message_attributes(row, operation: str) -> dict:
    """OpenTelemetry's messaging attributes of a stored message (``messaging.models.Message``).

    ``operation`` is "publish", "send" or "process": the verb names the span; its type is "send" for both
    verbs of the producer, as the conventions now say ("publish" was their old name for it).
    """
    return {
        "messaging.system": SYSTEM,
        "messaging.operation.name": operation,
        "messaging.operation.type": "process" if operation == "process" else "send",
        "messaging.destination.name": row.type,
        "messaging.message.id": str(row.id),
        "messaging.message.conversation_id": row.correlation_id,
        "marketplace.correlation_id": row.correlation_id,
        "marketplace.causation_id": row.causation_id,
        "marketplace.message.kind": row.kind,
    }


def producer_start(row) -> Span:
    """Start the producer span of ``row``, a message about to be written, and put its context in its envelope.

    A child of whatever runs: the request, or the handler writing it. The caller ends it once written.
    """
    operation = "publish" if row.kind == "event" else "send"
    span = _tracer.start_span(
        f"{operation} {row.type}", kind=SpanKind.PRODUCER, attributes=message_attributes(row, operation)
    )
    row.traceparent = traceparent_of(span)
    return span


def record_error(span: Span, error: BaseException) -> None:
    """Mark ``span`` failed by ``error`` (a handler's timeout too, which is no ``Exception``)."""
    span.record_exception(error)
    span.set_attribute("error.type", f"{type(error).__module__}.{type(error).__qualname__}")
    span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
