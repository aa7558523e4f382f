"""Each web request starts a correlation, honouring a well-formed X-Request-ID, and with tracing on a trace,
continuing an incoming W3C traceparent."""

import re

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.exceptions import MiddlewareNotUsed
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from messaging.runtime.context import Causation, causation, new_correlation_id
from messaging.runtime.telemetry import tracing

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def request_correlation_id(request) -> str:
    incoming = request.headers.get("X-Request-ID", "")
    return incoming if REQUEST_ID.match(incoming) else new_correlation_id()


class CorrelationMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        correlation_id = request_correlation_id(request)
        actor = "web"
        with causation(Causation(correlation_id=correlation_id, actor=actor)):
            response = self.get_response(request)
        response["X-Request-ID"] = correlation_id
        return response

    async def __acall__(self, request):
        correlation_id = request_correlation_id(request)
        with causation(Causation(correlation_id=correlation_id, actor="web")):
            response = await self.get_response(request)
        response["X-Request-ID"] = correlation_id
        return response


class TracingMiddleware:
    """A server span around each request: the root, or the continuation, of the trace of all it causes.

    Off, it takes itself out when the web process loads its middleware. It comes before
    ``CorrelationMiddleware``, so that its span covers the request's correlation and names it, and after
    WhiteNoise: a static file is no trace.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        if not tracing.enabled:
            raise MiddlewareNotUsed("tracing is off")
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        with request_span(request) as span:
            response = self.get_response(request)
            request_served(span, request, response)
        return response

    async def __acall__(self, request):
        with request_span(request) as span:
            response = await self.get_response(request)
            request_served(span, request, response)
        return response

    def process_exception(self, request, exception):
        """A view's exception, recorded on the request's span before Django answers it with a 500."""
        trace.get_current_span().record_exception(exception)


def request_span(request):
    """The request's server span, made current; its parent is the caller's ``traceparent`` header, if any."""
    return tracing.tracer().start_as_current_span(
        request.method,
        context=tracing.context_from(request.headers),
        kind=SpanKind.SERVER,
        attributes={"http.request.method": request.method, "url.path": request.path, "url.scheme": request.scheme},
    )


def request_served(span, request, response) -> None:
    """Name the span by its route (known once the URL is resolved) and say how the request ended."""
    match = request.resolver_match
    if match is not None:  # a request that matched no route keeps the method alone for a name
        span.update_name(f"{request.method} /{match.route}")
        span.set_attribute("http.route", f"/{match.route}")
    span.set_attribute("http.response.status_code", response.status_code)
    if response.has_header("X-Request-ID"):
        span.set_attribute("marketplace.correlation_id", response["X-Request-ID"])
    if response.status_code >= 500:
        span.set_status(Status(StatusCode.ERROR))
