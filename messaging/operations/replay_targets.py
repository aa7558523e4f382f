"""What a replay request selects: its targets, (message, handler) pairs, read in batches, and their counts.

The reading side of ``messaging.operations.replay``: plain reads, no lock. A target keeps
the status and ``updated_at`` it was read with, for the compare-and-set that
takes it later.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from messaging.models import Delivery, DeliveryStatus
from messaging.operations.selection import Selection, keyset_batches
from messaging.runtime.registry import Handler, registry

BATCH_SIZE = 500  # ids bound per query stay under SQLite's oldest limit of 999 parameters
MESSAGE_FIELDS = ("id", "kind", "type", "context", "correlation_id", "causation_id", "created_at", "not_before")


@dataclass(frozen=True)
class ReplayRequest:
    """What to replay, and who asked how (``command`` is journaled with each replayed delivery)."""

    selection: Selection
    actor: str
    command: str
    force: bool = False
    to_handler: str | None = None
    batch_size: int = BATCH_SIZE

    @property
    def subscriber(self) -> Handler | None:
        return registry.handler(self.to_handler) if self.to_handler else None


@dataclass(frozen=True)
class Target:
    """One (message, handler) pair: an existing delivery, or one a new subscriber lacks (``delivery_id`` None)."""

    message: SimpleNamespace  # the MESSAGE_FIELDS, enough for the journal
    handler: str
    delivery_id: int | None = None
    status: str | None = None  # None: no delivery yet
    updated_at: datetime | None = None


def replay_count(request: ReplayRequest) -> tuple[int, int]:
    """(matched, would run): two counts, for the confirmation and the progress bar."""
    limit = request.selection.limit
    if request.to_handler:
        matched_rows = _subscriber_messages(request)
        delivered = Delivery.objects.filter(handler=request.to_handler).values("message_id")
        runnable_rows = matched_rows.exclude(id__in=delivered)
    else:
        matched_rows = request.selection.deliveries()
        statuses = [DeliveryStatus.FAILED, DeliveryStatus.DEAD] + ([DeliveryStatus.SUCCEEDED] if request.force else [])
        runnable_rows = matched_rows.filter(status__in=statuses)
    matched, runnable = matched_rows.count(), runnable_rows.count()
    return (matched, runnable) if limit is None else (min(matched, limit), min(runnable, limit))


def replay_targets(request: ReplayRequest) -> Iterator[list[Target]]:
    """What the request selects, in batches: deliveries by id, or (catch-up) messages oldest first."""
    if request.to_handler:
        yield from _catch_up_targets(request)
        return
    columns = ("pk", "handler", "status", "updated_at", *(f"message__{name}" for name in MESSAGE_FIELDS))
    rows = request.selection.deliveries().values_list(*columns, named=True)
    for batch in keyset_batches(rows, size=request.batch_size, limit=request.selection.limit):
        yield [
            Target(
                message=SimpleNamespace(**{name: getattr(row, f"message__{name}") for name in MESSAGE_FIELDS}),
                handler=row.handler,
                delivery_id=row.pk,
                status=row.status,
                updated_at=row.updated_at,
            )
            for row in batch
        ]


def _subscriber_messages(request: ReplayRequest):
    return request.selection.messages().filter(type=request.subscriber.message_type.name)


def _catch_up_targets(request: ReplayRequest) -> Iterator[list[Target]]:
    name, rows = request.to_handler, _subscriber_messages(request).values_list(*MESSAGE_FIELDS, named=True)
    for batch in keyset_batches(rows, key=("created_at", "id"), size=request.batch_size, limit=request.selection.limit):
        existing = dict(
            Delivery.objects.filter(handler=name, message_id__in=[row.id for row in batch]).values_list(
                "message_id", "status"
            )
        )
        yield [
            Target(message=SimpleNamespace(**row._asdict()), handler=name, status=existing.get(row.id)) for row in batch
        ]
