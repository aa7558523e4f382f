"""Retention: which stored messages may be deleted, and which are kept as the source of a read model.

A message may be purged once it is *finished*: every delivery succeeded (or it
had no subscriber), all before the cutoff. Waiting or running ones never; dead
letters only if asked (``include_dead``), since an operator may still replay them.

Events are durable facts: a context that rebuilds a read model from stored
events declares their types with ``retain()`` (Orders keeps Vendors' product
events for ``rebuild_catalog``), and a purge keeps them unless
``include_retained``.

The journal is the history, written to be read after the fact (the order
timeline, the dashboard): a purge keeps a purged message's journal entries
unless ``with_journal``. They name the message by id, with its type and
correlation id, so they still read well without it.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from messaging.models import Delivery, DeliveryStatus, JournalEntry, Message
from messaging.operations.selection import keyset_batches

_retained: dict[str, str] = {}  # message type -> why it is kept


def retain(*message_types, reason: str) -> None:
    """Keep stored messages of these types through purges: a read model is rebuilt from them."""
    for message_type in message_types:
        _retained[message_type.name] = reason


def retained() -> dict[str, str]:
    return dict(_retained)


@dataclass(frozen=True)
class PurgeRequest:
    cutoff: datetime
    include_dead: bool = False
    include_retained: bool = False
    with_journal: bool = False
    types: tuple[str, ...] = ()
    batch_size: int = 500


@dataclass
class Purged:
    messages: int = 0
    deliveries: int = 0
    journal_entries: int = 0


def purgeable(request: PurgeRequest, *, keep_retained: bool | None = None) -> QuerySet:
    """Messages created before the cutoff whose every delivery finished before it (a queryset)."""
    unfinished = [DeliveryStatus.PENDING, DeliveryStatus.RUNNING, DeliveryStatus.FAILED]
    if not request.include_dead:
        unfinished.append(DeliveryStatus.DEAD)
    blocking = Delivery.objects.filter(message=OuterRef("pk")).filter(
        Q(status__in=unfinished) | Q(finished_at__gte=request.cutoff)
    )
    messages = Message.objects.filter(created_at__lt=request.cutoff).exclude(Exists(blocking))
    if request.types:
        messages = messages.filter(type__in=request.types)
    keep = not request.include_retained if keep_retained is None else keep_retained
    return messages.exclude(type__in=list(_retained)) if keep else messages


def purge_preview(request: PurgeRequest) -> dict:
    """What a purge would delete, by type, and what it keeps that it could otherwise have taken."""
    candidates = purgeable(request)
    by_type = dict(candidates.order_by().values_list("type").annotate(n=Count("id")).order_by("-n", "type"))
    deliveries = Delivery.objects.filter(message__in=candidates.values("pk")).count()
    kept_retained = (
        0 if request.include_retained else purgeable(request, keep_retained=False).count() - sum(by_type.values())
    )
    return {
        "messages": sum(by_type.values()),
        "deliveries": deliveries,
        "journal_entries": JournalEntry.objects.filter(message_id__in=candidates.values("pk")).count()
        if request.with_journal
        else 0,
        "by_type": by_type,
        "kept_retained": kept_retained,
    }


def purge_run(request: PurgeRequest, *, on_batch=None) -> Purged:
    """Delete what ``purgeable`` selects, one transaction per batch, oldest first."""
    total = Purged()
    rows = purgeable(request).values_list("id", "created_at", named=True)
    for batch in keyset_batches(rows, key=("created_at", "id"), size=request.batch_size):
        done = purge_batch([row.id for row in batch], request)
        total.messages += done.messages
        total.deliveries += done.deliveries
        total.journal_entries += done.journal_entries
        if on_batch:
            on_batch(total)
    return total


def purge_batch(ids: list, request: PurgeRequest) -> Purged:
    """Delete those of ``ids`` still purgeable now: a replay may have taken one since they were read."""
    with transaction.atomic():
        # Lock their deliveries (PostgreSQL; SQLite's IMMEDIATE transaction holds the write lock already),
        # then check again: the check and the delete see the same rows.
        list(Delivery.objects.select_for_update().filter(message_id__in=ids).values_list("pk", flat=True))
        still = list(purgeable(request).filter(pk__in=ids).values_list("pk", flat=True))
        journal = JournalEntry.objects.filter(message_id__in=still).delete()[0] if request.with_journal else 0
        _, deleted = Message.objects.filter(pk__in=still).delete()
    return Purged(
        messages=deleted.get("messaging.Message", 0),
        deliveries=deleted.get("messaging.Delivery", 0),
        journal_entries=journal,
    )
