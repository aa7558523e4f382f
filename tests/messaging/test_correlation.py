import asyncio
import logging

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

import messaging
from messaging.logging import CorrelationFilter
from messaging.middleware import CorrelationMiddleware
from messaging.models import JournalEntry, Message, Step
from messaging.runtime.context import Causation, causation, current
from tests.testapp.contracts import Chain, Flaky, Ping
from tests.testapp.models import Effect


def view_recording_correlation(seen):
    def view(request):
        seen.append(current())
        return HttpResponse("ok")

    return view


@pytest.mark.django_db
def test_a_message_published_by_a_handler_continues_the_correlation_and_names_its_cause(run_deliveries):
    chain_id = messaging.publish(Chain(key="k"))

    assert run_deliveries() == 3  # chain, then ping_a and ping_b

    chain = Message.objects.get(pk=chain_id)
    child = Message.objects.get(type="tests.Ping")
    assert (child.correlation_id, child.causation_id) == (chain.correlation_id, str(chain.id))
    assert set(Effect.objects.values_list("handler", "correlation_id", "causation_id")) == {
        ("ping_a", chain.correlation_id, str(child.id)),
        ("ping_b", chain.correlation_id, str(child.id)),
    }
    assert JournalEntry.objects.get(message_id=child.id, step=Step.PUBLISHED).actor == "tests.chain"


@pytest.mark.django_db
def test_a_message_published_outside_any_work_starts_a_new_correlation():
    first, second = messaging.publish(Ping(key="a")), messaging.publish(Ping(key="b"))

    rows = Message.objects.in_bulk([first, second])
    assert rows[first].correlation_id != rows[second].correlation_id
    assert rows[first].causation_id == rows[second].causation_id == ""


def test_the_middleware_honours_a_well_formed_request_id():
    seen = []
    middleware = CorrelationMiddleware(view_recording_correlation(seen))

    response = middleware(RequestFactory().get("/", headers={"X-Request-ID": "req-1234abcd"}))

    assert response["X-Request-ID"] == "req-1234abcd"
    assert seen == [Causation(correlation_id="req-1234abcd", actor="web")]
    assert current() is None  # the correlation ends with the request


@pytest.mark.parametrize("request_id", ["short", "has spaces in it", "x" * 65, "<script>alert(1)</script>"])
def test_the_middleware_replaces_a_malformed_request_id(request_id):
    seen = []
    middleware = CorrelationMiddleware(view_recording_correlation(seen))

    response = middleware(RequestFactory().get("/", headers={"X-Request-ID": request_id}))

    assert response["X-Request-ID"] != request_id
    assert len(response["X-Request-ID"]) == 36
    assert seen[0].correlation_id == response["X-Request-ID"]


def test_the_middleware_starts_a_correlation_for_async_views_too():
    seen = []

    async def view(request):
        seen.append(current())
        return HttpResponse("ok")

    response = asyncio.run(CorrelationMiddleware(view)(RequestFactory().get("/")))

    assert seen[0].correlation_id == response["X-Request-ID"]
    assert seen[0].actor == "web"


def test_a_log_record_carries_the_correlation_and_causation_of_the_work_in_progress():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    with causation(Causation(correlation_id="corr-1", causation_id="msg-1")):
        CorrelationFilter().filter(record)
    outside = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    CorrelationFilter().filter(outside)

    assert (record.correlation_id, record.causation_id) == ("corr-1", "msg-1")
    assert (outside.correlation_id, outside.causation_id) == ("-", "-")


@pytest.mark.django_db
def test_the_workers_log_lines_name_the_message_they_handle(run_deliveries, caplog):
    caplog.handler.addFilter(CorrelationFilter())
    event_id = messaging.publish(Flaky(key="k", fail_times=1))

    with caplog.at_level(logging.WARNING, logger="messaging.runtime.worker"):
        run_deliveries()

    (failure,) = [r for r in caplog.records if r.name == "messaging.runtime.worker"]
    row = Message.objects.get(pk=event_id)
    assert (failure.correlation_id, failure.causation_id) == (row.correlation_id, str(row.id))
    assert "flaky failure on attempt 1" in failure.getMessage()
