"""The pipeline's tracing steps: a consumer span around each delivery attempt, the handler's span inside it.

``consumer`` goes just before "outcome" (``messaging/apps.py``): it sees the attempt's recorded outcome and
error, and covers all the attempt does for the delivery, from loading the message to recording a failure.
Its parent is the producer span whose context the message carries (``tracing``), so a delivery joins the
trace of what wrote the message, in whatever process that ran; a message without one starts a trace.
A grouped delivery's span ends before its group commits (``worker.execute_batch``).

``handler`` goes just before "handler": the handler's own time, apart from the messaging around it, so a
slow trace says at a glance which of the two took it; the messages the handler writes are its children.
A handler's timeout is recorded there too, though it is no ``Exception``.

Both are registered whether tracing is on or not, so the pipeline reads the same in every process; off,
each costs a delivery one test of ``tracing.enabled``.
"""

from opentelemetry.trace import SpanKind

from messaging.runtime.pipeline.attempt import DEAD, FAILED
from messaging.runtime.telemetry import tracing


def consumer(attempt, next):
    if not tracing.enabled:
        next(attempt)
        return
    row, delivery = attempt.row, attempt.delivery
    attributes = {
        **tracing.message_attributes(row, "process"),
        "messaging.consumer.group.name": delivery.handler,
        "marketplace.delivery.id": delivery.pk,
        "marketplace.delivery.attempt": delivery.attempts,  # counting from 1; the conventions name none
    }
    with tracing.tracer().start_as_current_span(
        f"process {row.type}",
        context=tracing.context_from({"traceparent": row.traceparent}),
        kind=SpanKind.CONSUMER,
        attributes=attributes,
    ) as span:
        next(attempt)
        span.set_attribute("marketplace.delivery.outcome", attempt.outcome)
        if attempt.outcome in (FAILED, DEAD) and attempt.error is not None:
            tracing.record_error(span, attempt.error)


def handler(attempt, next):
    if not tracing.enabled:
        next(attempt)
        return
    func = attempt.handler.func
    with tracing.tracer().start_as_current_span(
        attempt.delivery.handler,
        attributes={"code.function.name": f"{func.__module__}.{func.__qualname__}"},
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            next(attempt)
        except BaseException as error:
            tracing.record_error(span, error)
            raise
