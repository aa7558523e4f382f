"""The flow view links a correlation to its trace, when TRACE_URL_TEMPLATE says where traces are shown."""

import pytest
from django.test import override_settings
from django.urls import reverse
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import messaging
from messaging.models import Message
from messaging.runtime.context import correlated
from messaging.runtime.telemetry import tracing
from tests.messaging.tracing_helpers import trace_into
from tests.testapp.contracts import Ping

pytestmark = pytest.mark.django_db

CORRELATION = "traced-flow"
JAEGER = "http://jaeger:16686/trace/{trace_id}"


@pytest.fixture
def traced():
    trace_into(InMemorySpanExporter())
    yield
    tracing.uninstall()


def publish_in_correlation(key: str) -> Message:
    with correlated(CORRELATION):
        return Message.objects.get(pk=messaging.publish(Ping(key=key)))


def trace_of(row: Message) -> str:
    return row.traceparent.split("-")[1]


def flow_page(admin_client) -> str:
    return admin_client.get(reverse("dashboard:flow", kwargs={"correlation_id": CORRELATION})).content.decode()


@override_settings(TRACE_URL_TEMPLATE=JAEGER)
def test_links_to_the_trace_of_the_correlations_first_message_written_with_tracing_on(admin_client, traced):
    tracing.uninstall()
    publish_in_correlation("before tracing was on")
    trace_into(InMemorySpanExporter())
    first, second = publish_in_correlation("first"), publish_in_correlation("second")
    assert trace_of(first) != trace_of(second)  # no request around them: each starts a trace

    html = flow_page(admin_client)

    assert f'<a href="http://jaeger:16686/trace/{trace_of(first)}" id="flow-trace"' in html


@override_settings(TRACE_URL_TEMPLATE='http://traces.example/search?trace={trace_id}&view="flow"')
def test_the_link_is_escaped(admin_client, traced):
    row = publish_in_correlation("p")

    html = flow_page(admin_client)

    assert f'href="http://traces.example/search?trace={trace_of(row)}&amp;view=&quot;flow&quot;"' in html


@override_settings(TRACE_URL_TEMPLATE="")
def test_no_link_without_a_template(admin_client, traced):
    publish_in_correlation("p")

    assert 'id="flow-trace"' not in flow_page(admin_client)


@override_settings(TRACE_URL_TEMPLATE=JAEGER)
def test_no_link_when_no_message_of_the_correlation_was_written_with_tracing_on(admin_client):
    publish_in_correlation("p")

    assert 'id="flow-trace"' not in flow_page(admin_client)
