"""Log lines carry the correlation and causation of the work in progress."""

import logging

from messaging.runtime.context import current


class CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        active = current()
        record.correlation_id = active.correlation_id if active else "-"
        record.causation_id = (active.causation_id or "-") if active else "-"
        return True
