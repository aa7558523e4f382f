"""Traces across real processes: an order paid over HTTP here, delivered by a real qcluster's workers, is one trace.

The workers are other processes: they export to a real OTLP/HTTP receiver in this process
(``tests/otlp_receiver.py``), pointed at by the standard variables, as a collector would be in production; this
process (the web request, the publishing) exports to the same receiver. Off by default: a cluster started
without those variables, even from a shell that has them, writes no traceparent and sends no span.
"""

import json
import time
from decimal import Decimal

import pytest
from django.db import transaction
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

import messaging
from messaging.models import Delivery, DeliveryStatus, Message
from messaging.runtime.telemetry import tracing
from orders.models import CatalogProduct, Order, OrderVendor
from orders.services.settings import store_settings_update
from tests.otlp_receiver import OtlpReceiver, ReceivedSpan
from tests.processes import ManagedProcess, cluster_started, wait_until
from tests.testapp.contracts import Chain, Flaky
from tests.testapp.models import Effect
from vendors import services as vendors

pytestmark = pytest.mark.cluster

CARD = {"number": "4242 4242 4242 4242", "expiry": "12/99", "cvc": "123", "name": "Ada"}


@pytest.fixture
def receiver():
    with OtlpReceiver() as receiver:
        yield receiver


def start_cluster(tmp_path, env: dict[str, str] | None = None) -> ManagedProcess:
    return cluster_started(log=tmp_path / "qcluster.log", env=env)


@pytest.fixture
def traced_cluster(transactional_db, receiver, tmp_path):
    """A qcluster whose processes trace, as the standard variables ask, to ``receiver``."""
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100", "LOG_FORMAT": "json"}
    cluster = start_cluster(tmp_path, env)
    yield cluster
    cluster.stop()
    print(cluster.output()[-5000:])


@pytest.fixture
def traced_here(receiver):
    """This process traces too (its requests, what it publishes), to the same receiver; its spans' resource."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{receiver.endpoint}/v1/traces")))
    tracing.install(provider)
    yield provider.resource
    tracing.uninstall()


def trace_id(row: Message) -> str:
    return tracing.trace_id_of(row.traceparent)


def span_id(row: Message) -> str:
    return row.traceparent.split("-")[2]


def ancestors(span: ReceivedSpan, spans: list[ReceivedSpan]) -> list[ReceivedSpan]:
    by_id, chain = {s.span_id: s for s in spans}, []
    while span.parent_id in by_id:
        span = by_id[span.parent_id]
        chain.append(span)
    return chain


def succeeded_span_of(delivery: Delivery, spans: list[ReceivedSpan]) -> list[ReceivedSpan]:
    """The consumer spans of ``delivery``'s attempt that succeeded (one, once exported)."""
    return [
        span
        for span in spans
        if span.kind == "consumer"
        and span.attributes["messaging.message.id"] == str(delivery.message_id)
        and span.attributes["messaging.consumer.group.name"] == delivery.handler
        and span.attributes["marketplace.delivery.outcome"] == "succeeded"
    ]


def shop_with_two_vendors(client) -> Order:
    """Two vendors' products in Orders' catalog, and an order of one of each, placed over HTTP."""
    with transaction.atomic():
        grocer = vendors.vendor_create(name="Green Grocer", kind="supermarket")
        books = vendors.vendor_create(name="Page Turner", kind="store")
        apples = vendors.product_list(vendor=grocer, product_name="Apples", price=Decimal("2.50"), stock=20)
        atlas = vendors.product_list(vendor=books, product_name="Atlas", price=Decimal("30.00"), stock=5)
    wait_until(lambda: CatalogProduct.objects.count() == 2, timeout=20, message="the catalog to reach Orders")
    lines = {f"quantity_{apples.pk}": "1", f"price_{apples.pk}": "2.50", f"quantity_{atlas.pk}": "1"}
    lines[f"price_{atlas.pk}"] = "30.00"
    client.post("/orders/", {"customer_name": "Ada", "customer_email": "ada@example.com", **lines})
    return Order.objects.get()


def test_an_order_paid_over_http_is_one_trace_through_the_workers_and_every_message_their_handlers_write(
    traced_cluster, receiver, traced_here, client
):
    store_settings_update(style="command")  # OrderPaid, a NotifyVendor per vendor, their outcomes
    order = shop_with_two_vendors(client)
    before = set(Message.objects.values_list("id", flat=True))

    client.post(f"/orders/{order.id}/pay/", CARD)

    wait_until(
        lambda: not OrderVendor.objects.filter(order=order, acknowledged_at=None).exists(),
        timeout=30,
        message="both vendors notified and their outcomes back in Orders",
    )
    written = list(Message.objects.exclude(id__in=before).order_by("created_at"))
    done = list(Delivery.objects.filter(message__in=written, status=DeliveryStatus.SUCCEEDED))
    spans = receiver.wait_for(
        lambda spans: spans if all(succeeded_span_of(delivery, spans) for delivery in done) else None,
        message="a consumer span for every delivery done",
    )
    (request,) = [span for span in spans if span.attributes.get("http.route") == "/orders/<str:token>/pay/"]
    assert (
        request.kind == "server"
        and request.resource["service.instance.id"] == traced_here.attributes["service.instance.id"]
    )

    # one trace: every message the payment caused, down to the outcomes written by the workers' handlers
    assert {row.type for row in written} >= {
        "orders.OrderPaid",
        "vendors.NotifyVendor",
        "vendors.VendorNotified",
        "messaging.CommandOutcome",
        "orders.CheckVendorResponses",
    }
    assert {trace_id(row) for row in written} == {request.trace_id}
    assert {span.trace_id for span in spans if span.attributes.get("marketplace.correlation_id") == str(order.pk)} == {
        request.trace_id
    }
    producers = {span.span_id: span for span in spans if span.kind == "producer"}
    for row in written:
        producer = producers[span_id(row)]
        assert producer.attributes["messaging.message.id"] == str(row.id)
        assert producer.name == f"{'publish' if row.kind == 'event' else 'send'} {row.type}"
        cause = [s for s in ancestors(producer, spans) if s.attributes.get("messaging.message.id") == row.causation_id]
        if row.causation_id in {str(other.id) for other in written}:  # written by a handler, in a worker
            assert cause and cause[0].kind == "consumer"
        else:
            assert ancestors(producer, spans)[-1] == request  # written by the request itself

    # each delivery: a consumer span in a worker process, child of the producer, the handler's span inside
    workers = set()
    for delivery in done:
        (consumer,) = succeeded_span_of(delivery, spans)
        assert consumer.parent_id == span_id(delivery.message)
        assert consumer.name == f"process {delivery.message.type}"
        assert consumer.attributes["marketplace.delivery.attempt"] == delivery.attempts
        assert consumer.attributes["messaging.message.conversation_id"] == str(order.pk)
        assert consumer.resource["service.name"] == "marketplace"
        workers.add(consumer.resource["service.instance.id"])
        (handler,) = [span for span in spans if span.parent_id == consumer.span_id and span.kind == "internal"]
        assert handler.name == delivery.handler
    assert traced_here.attributes["service.instance.id"] not in workers


def test_a_failing_handler_in_a_worker_is_an_error_span_with_its_exception_and_its_retry_another(
    traced_cluster, receiver, traced_here
):
    with transaction.atomic():
        message_id = messaging.publish(Flaky(key="f", fail_times=1))

    def both_attempts(spans):
        attempts = [span for span in spans if span.name == "process tests.Flaky"]
        handled = [span for span in spans if span.name == "tests.flaky"]
        return spans if len(attempts) == len(handled) == 2 else None

    spans = receiver.wait_for(both_attempts, message="both attempts' spans")
    failed, succeeded = sorted(
        (span for span in spans if span.name == "process tests.Flaky"),
        key=lambda span: span.attributes["marketplace.delivery.attempt"],
    )
    assert (failed.status, failed.attributes["marketplace.delivery.outcome"]) == ("error", "failed")
    assert failed.status_message == "ConnectionError: flaky failure on attempt 1"
    assert [name for name, _ in failed.events] == ["exception"]
    assert failed.events[0][1]["exception.type"] == "ConnectionError"
    (handler,) = [s for s in spans if s.parent_id == failed.span_id]
    assert (handler.name, handler.status) == ("tests.flaky", "error")
    assert (succeeded.status, succeeded.attributes["marketplace.delivery.attempt"]) == ("unset", 2)
    producer = Message.objects.get(pk=message_id)
    assert failed.parent_id == succeeded.parent_id == span_id(producer)
    logged = [json.loads(line) for line in traced_cluster.output().splitlines() if line.startswith("{")]
    (warning,) = [line for line in logged if "flaky failure on attempt 1" in line["message"]]
    assert warning["trace_id"] == failed.trace_id  # the worker's log line names the trace it was written in


def test_off_by_default_a_cluster_writes_no_traceparent_and_sends_no_span_even_from_a_shell_that_asks(
    transactional_db, receiver, tmp_path, monkeypatch
):
    # given a shell that asks for traces (a developer's, a CI job's): the cluster the tests start does not inherit it
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
    cluster = start_cluster(tmp_path)
    try:
        with transaction.atomic():
            messaging.publish(Chain(key="quiet"))  # its handler publishes a Ping, in a worker
        wait_until(lambda: Effect.objects.count() == 2, timeout=20, message="the Ping's two subscribers")
        time.sleep(1)  # ten times the schedule delay the shell asked for
    finally:
        cluster.stop()

    assert list(Message.objects.values_list("traceparent", flat=True)) == ["", ""]
    assert receiver.requests == 0


def test_a_worker_exports_the_spans_it_holds_as_the_cluster_stops(transactional_db, receiver, tmp_path):
    # given workers that would export only a minute from now
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "60000"}
    cluster = start_cluster(tmp_path, env)
    try:
        with transaction.atomic():
            messaging.publish(Chain(key="last"))
        wait_until(lambda: Effect.objects.count() == 2, timeout=20, message="the Ping's two subscribers")
        assert receiver.spans() == []
    finally:
        cluster.stop()  # SIGTERM: the supervisor stops the cluster in order

    names = sorted(span.name for span in receiver.wait_for(lambda spans: len(spans) >= 7 and spans, timeout=5))
    assert names == [
        "process tests.Chain",
        "process tests.Ping",
        "process tests.Ping",
        "publish tests.Ping",
        "tests.chain",
        "tests.ping_a",
        "tests.ping_b",
    ]
