"""Log lines carry the correlation and causation of the work in progress, as text or as JSON."""

import logging

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

from messaging.runtime.context import current


class CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        active = current()
        record.correlation_id = active.correlation_id if active else "-"
        record.causation_id = (active.causation_id or "-") if active else "-"
        return True


class JsonFormatter(BaseJsonFormatter):
    """``LOG_FORMAT=json``: one object a line, with the message being handled and the trace it belongs to.

    ``message_id`` is the message being handled (its handler in ``handler``), ``causation_id`` what that message
    was written in reaction to; outside a handler they are null, as is ``trace_id`` without tracing on.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, timestamp="time", **kwargs)

    def add_fields(self, log_record: dict, record: logging.LogRecord, message_dict: dict) -> None:
        super().add_fields(log_record, record, message_dict)
        active = current()
        handling = bool(active and active.actor and active.causation_id)
        span = trace.get_current_span().get_span_context()
        log_record.update(
            level=record.levelname,
            logger=record.name,
            correlation_id=active.correlation_id if active else None,
            causation_id=(active.caused_by or None) if handling else None,
            message_id=active.causation_id if handling else None,
            handler=active.actor if handling else None,
            trace_id=format(span.trace_id, "032x") if span.is_valid else None,
        )
        for internal in ("causation_id", "correlation_id"):
            if log_record.get(internal) == "-":
                log_record[internal] = None
