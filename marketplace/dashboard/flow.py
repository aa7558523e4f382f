"""The flow view's reading of one correlation: the causation tree ``messaging.selectors`` builds, and its summary.

Which message caused which, through which handler, is messaging's to read (``selectors.conversation``);
the dashboard only puts it in words.
"""

from messaging import selectors
from messaging.selectors import Conversation, DeliveryStatus

SUMMARY_ORDER = (
    DeliveryStatus.SUCCEEDED,
    DeliveryStatus.PENDING,
    DeliveryStatus.RUNNING,
    DeliveryStatus.FAILED,
    DeliveryStatus.DEAD,
)


def flow_for(correlation_id: str) -> Conversation | None:
    """The causation tree of ``correlation_id``, or None when no message carries it."""
    return selectors.conversation(correlation_id=correlation_id)


def step_counts(flow: Conversation) -> list[tuple[str, int]]:
    """Delivery statuses of the flow, in a reading order, for a summary line."""
    return [(DeliveryStatus(status).label, flow.counts[status]) for status in SUMMARY_ORDER if flow.counts[status]]
