"""Traces in one process: off unless asked for; on, each message written is a producer span whose context it
carries, each delivery attempt a consumer span under it with the handler's span inside, and what the handler
writes below that.

Requests: test_tracing_requests.py. Across real processes (a qcluster's workers): test_tracing_cluster.py.
"""

import pytest
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind, StatusCode

import messaging
from messaging.middleware import TracingMiddleware
from messaging.models import Delivery, DeliveryStatus, Message
from messaging.runtime import signing
from messaging.runtime.context import correlated
from messaging.runtime.telemetry import tracing
from tests.messaging.tracing_helpers import named, trace_into, traceparent
from tests.testapp.contracts import Chain, DoWork, Flaky, Ping, Rejected
from tests.testapp.handlers import work_outcome

pytestmark = pytest.mark.django_db


# --- Off unless asked for --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "wanted"),
    [
        ({}, False),
        ({"OTEL_SERVICE_NAME": "shop", "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod"}, False),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_EXPORTER": "none"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}, False),
        ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "TRUE"}, False),
        ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, True),
    ],
)
def test_traces_are_on_only_when_the_standard_variables_ask_for_them(environ, wanted):
    assert tracing.wanted(environ) is wanted


@pytest.mark.parametrize(
    "environ",
    [
        {"OTEL_TRACES_EXPORTER": "jaeger"},
        {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"},
    ],
)
def test_traces_asked_for_in_a_way_this_process_cannot_send_fail_at_start_up(environ):
    with pytest.raises(ImproperlyConfigured):
        tracing.wanted(environ)


@pytest.mark.parametrize(
    ("environ", "service", "environment"),
    [
        ({}, "marketplace", None),
        ({"OTEL_SERVICE_NAME": "shop-eu"}, "shop-eu", None),
        ({"OTEL_RESOURCE_ATTRIBUTES": "service.name=shop,deployment.environment=prod"}, "shop", "prod"),
    ],
)
def test_the_service_is_marketplace_unless_the_standard_variables_name_it(monkeypatch, environ, service, environment):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)

    attributes = tracing._resource().attributes

    assert (attributes["service.name"], attributes.get("deployment.environment")) == (service, environment)


def test_off_no_provider_is_installed_no_span_made_and_no_traceparent_written(run_deliveries):
    assert not tracing.enabled
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)  # the API's no-op stand-in

    message_id = messaging.publish(Chain(key="quiet"))
    run_deliveries()

    assert list(Message.objects.values_list("traceparent", flat=True)) == ["", ""]  # the Chain and its Ping
    assert b"traceparent" not in signing.canonical_envelope(Message.objects.get(pk=message_id))
    with pytest.raises(MiddlewareNotUsed):
        TracingMiddleware(lambda request: None)


# --- Writing: a producer span whose context the message carries -----------------------------------------------------


def test_a_published_event_is_a_producer_span_under_what_was_running_and_carries_its_context(spans):
    with tracing.tracer().start_as_current_span("the request") as outer, correlated("corr-1"):
        message_id = messaging.publish(Ping(key="p"))

    (producer,) = named(spans, "publish tests.Ping")
    row = Message.objects.get(pk=message_id)
    assert row.traceparent == traceparent(producer)
    assert (producer.kind, producer.parent.span_id) == (SpanKind.PRODUCER, outer.get_span_context().span_id)
    assert producer.attributes == {
        "messaging.system": "marketplace",
        "messaging.operation.name": "publish",
        "messaging.operation.type": "send",
        "messaging.destination.name": "tests.Ping",
        "messaging.message.id": str(message_id),
        "messaging.message.conversation_id": "corr-1",
        "marketplace.correlation_id": "corr-1",
        "marketplace.causation_id": "",
        "marketplace.message.kind": "event",
    }
    assert signing.is_authentic(row)


def test_a_sent_command_is_a_send_span(spans):
    messaging.send(DoWork(key="w"))

    (producer,) = named(spans, "send tests.DoWork")
    assert producer.attributes["messaging.operation.name"] == "send"
    assert producer.parent is None  # nothing was running: it starts a trace


def test_the_traceparent_is_signed_so_altering_it_dead_letters_the_message(spans, run_deliveries):
    messaging.publish(Ping(key="p"))
    Message.objects.update(traceparent="00-" + "1" * 32 + "-" + "2" * 16 + "-01")

    run_deliveries()

    assert set(Delivery.objects.values_list("status", "last_error")) == {
        (DeliveryStatus.DEAD, "signature mismatch: the stored message was altered")
    }


# --- Delivering: a consumer span under the producer, the handler's span inside --------------------------------------


def test_one_trace_from_a_message_through_its_handler_to_what_the_handler_publishes_and_its_deliveries(
    spans, run_deliveries
):
    chain_id = messaging.publish(Chain(key="c"))

    run_deliveries()

    (chain_producer,) = named(spans, "publish tests.Chain")
    (consumer,) = named(spans, "process tests.Chain")
    (handler,) = named(spans, "tests.chain")
    (ping_producer,) = named(spans, "publish tests.Ping")
    ping_consumers = named(spans, "process tests.Ping")
    assert consumer.kind == SpanKind.CONSUMER and consumer.parent.span_id == chain_producer.context.span_id
    assert handler.kind == SpanKind.INTERNAL and handler.parent.span_id == consumer.context.span_id
    assert handler.attributes["code.function.name"] == "tests.testapp.handlers.chain"
    assert ping_producer.parent.span_id == handler.context.span_id
    assert sorted(span.attributes["messaging.consumer.group.name"] for span in ping_consumers) == [
        "tests.ping_a",
        "tests.ping_b",
    ]
    assert {span.parent.span_id for span in ping_consumers} == {ping_producer.context.span_id}
    assert len({span.context.trace_id for span in spans.get_finished_spans()}) == 1
    delivery = Delivery.objects.get(message_id=chain_id)
    assert consumer.attributes == {
        "messaging.system": "marketplace",
        "messaging.operation.name": "process",
        "messaging.operation.type": "process",
        "messaging.destination.name": "tests.Chain",
        "messaging.message.id": str(chain_id),
        "messaging.message.conversation_id": Message.objects.get(pk=chain_id).correlation_id,
        "messaging.consumer.group.name": "tests.chain",
        "marketplace.correlation_id": Message.objects.get(pk=chain_id).correlation_id,
        "marketplace.causation_id": "",
        "marketplace.message.kind": "event",
        "marketplace.delivery.id": delivery.pk,
        "marketplace.delivery.attempt": 1,
        "marketplace.delivery.outcome": "succeeded",
    }
    assert ping_producer.attributes["marketplace.causation_id"] == str(chain_id)
    assert consumer.status.status_code == StatusCode.UNSET


def test_a_commands_outcome_is_sent_under_the_commands_consumer_span(spans, run_deliveries):
    messaging.send(DoWork(key="w"), reply_to=work_outcome)

    run_deliveries()

    (consumer,) = named(spans, "process tests.DoWork")
    (outcome,) = named(spans, "send messaging.CommandOutcome")
    (reply,) = named(spans, "process messaging.CommandOutcome")
    assert outcome.parent.span_id == consumer.context.span_id
    assert reply.parent.span_id == outcome.context.span_id


def test_a_failed_attempt_is_an_error_with_its_exception_and_the_retry_another_span(spans, run_deliveries):
    messaging.publish(Flaky(key="f", fail_times=1))

    run_deliveries()

    failed, succeeded = sorted(named(spans, "process tests.Flaky"), key=lambda span: span.start_time)
    assert (failed.attributes["marketplace.delivery.attempt"], failed.attributes["marketplace.delivery.outcome"]) == (
        1,
        "failed",
    )
    assert failed.status.status_code == StatusCode.ERROR
    assert failed.status.description == "ConnectionError: flaky failure on attempt 1"
    assert failed.attributes["error.type"] == "builtins.ConnectionError"
    (exception,) = failed.events
    assert (exception.name, exception.attributes["exception.type"]) == ("exception", "ConnectionError")
    failed_handler, _ = sorted(named(spans, "tests.flaky"), key=lambda span: span.start_time)
    assert failed_handler.status.status_code == StatusCode.ERROR
    assert failed_handler.parent.span_id == failed.context.span_id
    assert (succeeded.attributes["marketplace.delivery.attempt"], succeeded.status.status_code) == (2, StatusCode.UNSET)
    assert succeeded.parent.span_id == failed.parent.span_id  # both attempts hang under the one producer


def test_a_dead_lettered_attempt_is_an_error(spans, run_deliveries):
    messaging.publish(Rejected(key="r"))

    run_deliveries()

    (consumer,) = named(spans, "process tests.Rejected")
    assert consumer.attributes["marketplace.delivery.outcome"] == "dead"
    assert consumer.status.status_code == StatusCode.ERROR
    assert "r can never be handled" in consumer.status.description


def test_a_message_written_with_tracing_off_is_delivered_in_a_trace_of_its_own(spans, run_deliveries):
    tracing.uninstall()
    messaging.publish(Ping(key="before"))
    trace_into(spans)

    run_deliveries()

    consumers = named(spans, "process tests.Ping")
    assert len(consumers) == 2 and all(span.parent is None for span in consumers)
    assert consumers[0].context.trace_id != consumers[1].context.trace_id
