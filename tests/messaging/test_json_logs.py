"""LOG_FORMAT=json: one JSON object a line, naming the message being handled, from every process."""

import json
import logging
import subprocess
import sys

import pytest
from opentelemetry.sdk.trace import TracerProvider

import messaging
from messaging.logging import CorrelationFilter, JsonFormatter
from messaging.models import Delivery, DeliveryStatus, Message
from messaging.runtime.context import Causation, causation
from tests.processes import ROOT, cluster_started, wait_until
from tests.testapp.contracts import Flaky


def formatted(record: logging.LogRecord) -> dict:
    CorrelationFilter().filter(record)
    return json.loads(JsonFormatter().format(record))


def record(message: str = "hello", level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord("orders.services", level, __file__, 1, message, None, None)


def test_a_line_outside_any_work_has_every_field_and_nulls_for_what_it_lacks():
    line = formatted(record("paid %s"))

    assert line["message"] == "paid %s"
    assert (line["level"], line["logger"]) == ("INFO", "orders.services")
    assert line["time"].endswith("+00:00")
    for field in ("correlation_id", "causation_id", "message_id", "handler", "trace_id"):
        assert line[field] is None, field


def test_a_line_written_while_handling_names_the_message_its_cause_and_its_handler():
    handling = Causation("corr-1", "msg-2", actor="vendors.on_order_paid", attempt=1, caused_by="msg-1")
    with causation(handling):
        line = formatted(record(level=logging.WARNING))

    assert line["correlation_id"] == "corr-1"
    assert (line["message_id"], line["causation_id"], line["handler"]) == ("msg-2", "msg-1", "vendors.on_order_paid")


def test_a_line_written_in_a_span_carries_its_trace_id():
    tracer = TracerProvider().get_tracer("tests")
    with tracer.start_as_current_span("request") as span:
        line = formatted(record())

    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")


def test_extra_fields_and_errors_are_kept():
    try:
        raise ValueError("boom")
    except ValueError:
        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    failed.order = 42

    line = formatted(failed)

    assert line["order"] == 42
    assert "ValueError: boom" in line["exc_info"]


@pytest.mark.django_db(transaction=True)
def test_a_real_cluster_logs_json_lines_naming_the_delivery_that_failed(tmp_path):
    cluster = cluster_started(log=tmp_path / "qcluster.log", env={"LOG_FORMAT": "json", "LOG_LEVEL": "INFO"})
    try:
        event_id = messaging.publish(Flaky(key="json", fail_times=1))
        wait_until(
            lambda: Delivery.objects.filter(message_id=event_id, status=DeliveryStatus.SUCCEEDED).exists(),
            timeout=30,
            message="the flaky delivery to succeed on its second attempt",
        )
    finally:
        cluster.stop()

    lines = [line for line in cluster.output().splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]  # every line, the cluster's own included, is one JSON object
    row = Message.objects.get(pk=event_id)
    (failure,) = [p for p in parsed if "flaky failure on attempt 1" in p["message"]]
    assert (failure["level"], failure["logger"]) == ("WARNING", "messaging.runtime.worker")
    assert failure["correlation_id"] == row.correlation_id
    assert (failure["message_id"], failure["handler"]) == (str(row.id), "tests.flaky")


def test_an_unknown_log_format_is_refused_at_start_with_the_choices():
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check"],
        cwd=ROOT,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "LOG_FORMAT": "xml"},
        capture_output=True,
        text=True,
    )

    assert result.returncode != 0
    assert "LOG_FORMAT must be text or json, not 'xml'" in result.stderr
