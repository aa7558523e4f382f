"""The words messaging's readers use: what a message is, where a delivery stands, what the journal records.

Choices that contexts and the dashboard compare against and show (``Step.choices``, ``DeliveryStatus(x).label``),
without importing the tables they describe.
"""

from messaging.models import (
    WAITING_STATUSES,
    BreakerState,
    DeliveryStatus,
    Kind,
    ProcessKind,
    ProcessState,
    Step,
)

__all__ = ["WAITING_STATUSES", "BreakerState", "DeliveryStatus", "Kind", "ProcessKind", "ProcessState", "Step"]
