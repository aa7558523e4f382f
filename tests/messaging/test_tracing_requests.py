"""Requests: each a server span, named by its route, continuing the caller's W3C traceparent; what it writes below."""

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from opentelemetry.trace import SpanKind

from messaging.models import Message
from orders.models import Order
from tests.messaging.tracing_helpers import traceparent
from tests.orders.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db

INCOMING = "00-" + "a" * 32 + "-" + "b" * 16 + "-01"


def test_a_request_is_a_server_span_named_by_its_route_that_continues_the_callers_traceparent(spans, client):
    response = client.get("/", headers={"traceparent": INCOMING})

    (server,) = spans.get_finished_spans()
    assert (server.name, server.kind) == ("GET /", SpanKind.SERVER)
    assert (server.context.trace_id, server.parent.span_id) == (int("a" * 32, 16), int("b" * 16, 16))
    assert server.parent.is_remote
    assert server.attributes == {
        "http.request.method": "GET",
        "url.path": "/",
        "url.scheme": "http",
        "http.route": "/",
        "http.response.status_code": 200,
        "marketplace.correlation_id": response["X-Request-ID"],
    }


def test_paying_an_order_is_one_trace_from_the_request_to_each_message_it_writes(spans, client):
    order = OrderFactory(total="5.00")
    OrderLineFactory(order=order, vendor_id=10, vendor_name="Fresh Market", name="Apples", quantity=2)
    card = {"number": "4242 4242 4242 4242", "expiry": "12/99", "cvc": "123", "name": "Ada"}

    client.post(f"/orders/{order.id}/pay/", card)

    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID
    (server,) = [span for span in spans.get_finished_spans() if span.kind == SpanKind.SERVER]
    assert server.name == "POST /orders/<str:token>/pay/"
    written = {row.type: row for row in Message.objects.filter(correlation_id=str(order.pk))}
    producers = {span.attributes["messaging.destination.name"]: span for span in spans.get_finished_spans()[:-1]}
    assert set(producers) == set(written) == {"orders.OrderPaid", "orders.CheckVendorResponses"}
    for name, row in written.items():
        assert producers[name].parent.span_id == server.context.span_id
        assert row.traceparent == traceparent(producers[name])


def test_an_asgi_request_is_traced_the_same(spans):
    response = async_to_sync(AsyncClient().get)("/", headers={"traceparent": INCOMING})

    (server,) = spans.get_finished_spans()
    assert (server.name, server.context.trace_id, server.parent.span_id) == (
        "GET /",
        int("a" * 32, 16),
        int("b" * 16, 16),
    )
    assert server.attributes["marketplace.correlation_id"] == response["X-Request-ID"]
