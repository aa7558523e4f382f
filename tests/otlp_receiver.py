"""A real OTLP/HTTP trace receiver in the test process, for spans exported by other processes (and this one).

    with OtlpReceiver() as receiver:       # listens on 127.0.0.1, a free port
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}
        ...
        receiver.wait_for(lambda spans: ..., message="the consumer spans")

It answers ``POST /v1/traces`` (a protobuf ``ExportTraceServiceRequest``, gzip or not) as a collector does and
keeps each span, flattened (``ReceivedSpan``), with its process's resource attributes.
"""

import gzip
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

KINDS = {
    Span.SPAN_KIND_INTERNAL: "internal",
    Span.SPAN_KIND_SERVER: "server",
    Span.SPAN_KIND_CLIENT: "client",
    Span.SPAN_KIND_PRODUCER: "producer",
    Span.SPAN_KIND_CONSUMER: "consumer",
}
STATUSES = {Status.STATUS_CODE_UNSET: "unset", Status.STATUS_CODE_OK: "ok", Status.STATUS_CODE_ERROR: "error"}


@dataclass(frozen=True)
class ReceivedSpan:
    trace_id: str  # hex, as in a traceparent
    span_id: str
    parent_id: str  # "" for a root
    name: str
    kind: str  # "server", "producer", "consumer", "internal", "client"
    attributes: dict
    status: str  # "unset", "ok" or "error"
    status_message: str
    events: tuple[tuple[str, dict], ...]  # (name, attributes), e.g. ("exception", {...})
    resource: dict = field(repr=False)
    start_ns: int = 0
    end_ns: int = 0


def _value(value: AnyValue):
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values]
    return getattr(value, kind) if kind else None


def _attributes(pairs) -> dict:
    return {pair.key: _value(pair.value) for pair in pairs}


def decode(body: bytes) -> list[ReceivedSpan]:
    request = ExportTraceServiceRequest.FromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    ReceivedSpan(
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_id=span.parent_span_id.hex(),
                        name=span.name,
                        kind=KINDS.get(span.kind, "unspecified"),
                        attributes=_attributes(span.attributes),
                        status=STATUSES[span.status.code],
                        status_message=span.status.message,
                        events=tuple((event.name, _attributes(event.attributes)) for event in span.events),
                        resource=resource,
                        start_ns=span.start_time_unix_nano,
                        end_ns=span.end_time_unix_nano,
                    )
                )
    return spans


class OtlpReceiver:
    """``decoding=False`` answers without reading the spans (counting requests and bytes only): a benchmark's
    collector, costing the exporting processes what a collector on another host would."""

    def __init__(self, *, decoding: bool = True):
        self._spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()
        self.requests = self.bytes = 0
        self.decoding = decoding
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path != "/v1/traces":
                    self.send_error(404)
                    return
                receiver._received(decode(body) if receiver.decoding else [], len(body))
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self._server.server_port}"  # OTEL_EXPORTER_OTLP_ENDPOINT
        self._thread = threading.Thread(target=self._server.serve_forever, name="otlp receiver", daemon=True)

    def __enter__(self) -> "OtlpReceiver":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _received(self, spans: list[ReceivedSpan], size: int) -> None:
        with self._lock:
            self._spans.extend(spans)
            self.requests += 1
            self.bytes += size

    def spans(self) -> list[ReceivedSpan]:
        """Every span received so far, in the order they came."""
        with self._lock:
            return list(self._spans)

    def wait_for(self, predicate, *, timeout: float = 30, message: str = "spans"):
        """Wait until ``predicate(spans)`` is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate(self.spans())
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {message}; got {len(self.spans())} spans")
            time.sleep(0.05)
