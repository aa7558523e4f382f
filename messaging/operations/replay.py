"""Replay: run stored messages through their handlers again, or for the first time through a new subscriber.

A replay never doubles an effect by accident:

* a delivery that already succeeded is skipped unless ``force`` (for handlers
  written to be re-runnable), and the journal says that it was forced;
* one that is pending or running is skipped: it will run anyway;
* one that failed or was dead-lettered goes back to pending with a fresh set of
  attempts, by a compare-and-set on the status and ``updated_at`` that the
  selection read: two replays at once cannot both take it, and a worker that
  changed it meanwhile wins;
* a catch-up (``to_handler``) creates the deliveries a new subscriber lacks,
  oldest message first; the unique (message, handler) pair makes a second run
  a no-op.

Each batch is one transaction: the resets or new deliveries, one ``replayed``
journal entry each (who asked, and how), and one wake-up of the workers on commit.
"""

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, transaction

from messaging.models import Delivery, DeliveryStatus, Step
from messaging.operations.replay_targets import BATCH_SIZE, ReplayRequest, Target, replay_count, replay_targets
from messaging.operations.selection import Selection, SelectionError
from messaging.runtime import clock, journal, wakeup
from messaging.runtime.registry import registry

__all__ = [  # what the commands use; the reading side lives in replay_targets
    "BATCH_SIZE",
    "ReplayRequest",
    "Tally",
    "Target",
    "Verdict",
    "replay_batch",
    "replay_count",
    "replay_request_build",
    "replay_request_check",
    "replay_run",
    "replay_targets",
    "verdict",
]

CATCH_UP_LOCK_KEY = 0x63617463 << 32  # "catc", plus the handler name's CRC
SKIPPED_BECAUSE = {
    DeliveryStatus.SUCCEEDED: "already succeeded (--force re-runs it)",
    DeliveryStatus.PENDING: "already pending: it will run",
    DeliveryStatus.RUNNING: "running now",
}


@dataclass(frozen=True)
class Verdict:
    action: str  # "replay", "deliver", "skip" or "fail"
    reason: str = ""


@dataclass
class Tally:
    matched: int = 0
    enqueued: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def fail(self, reason: str, count: int = 1) -> None:
        self.failed += count
        if reason not in self.errors and len(self.errors) < 5:
            self.errors.append(reason)

    def add(self, other: "Tally") -> None:
        self.matched += other.matched
        self.enqueued += other.enqueued
        self.skipped += other.skipped
        self.failed += other.failed
        self.errors += [reason for reason in other.errors if reason not in self.errors][: 5 - len(self.errors)]


def replay_request_build(
    *,
    selection: Selection,
    actor: str,
    force: bool = False,
    to_handler: str | None = None,
    batch_size: int = BATCH_SIZE,
) -> ReplayRequest:
    """The checked request (``SelectionError`` if not), whichever door asks for it.

    Each replayed delivery is journaled with the command line that would repeat the replay, so that the
    dashboard, the admin and ``replay_messages`` leave the same entry for the same delivery.
    """
    asked = [
        "replay_messages",
        selection.describe(),
        "--force" if force else "",
        to_handler and f"--to-handler {to_handler}",
    ]
    request = ReplayRequest(
        selection=selection,
        actor=actor,
        command=" ".join(part for part in asked if part),
        force=force,
        to_handler=to_handler,
        batch_size=batch_size,
    )
    replay_request_check(request)
    return request


def replay_request_check(request: ReplayRequest) -> None:
    """Options that cannot go together, or a replay of everything by accident: ``SelectionError``."""
    selection, errors = request.selection, []
    if request.to_handler:
        errors += _to_handler_errors(request)
    elif selection.is_empty:
        errors.append(
            "say what to replay: give --id, --type, --kind, --status, --handler, --context, "
            "--correlation-id, --since or --until (or --to-handler NAME to catch a new subscriber up)"
        )
    if request.batch_size < 1:
        errors.append(f"--batch-size must be at least 1 (got {request.batch_size})")
    if errors:
        raise SelectionError(errors)


def _to_handler_errors(request: ReplayRequest) -> list[str]:
    name, selection = request.to_handler, request.selection
    errors = [
        f"--to-handler cannot be combined with {option}: it delivers to {name} only, for the first time"
        for option, given in (
            ("--handler", selection.handlers),
            ("--status", selection.statuses),
            ("--context", selection.contexts),
            ("--kind", selection.kind),
            ("--force", request.force),
        )
        if given
    ]
    handler = registry.handlers.get(name)
    if handler is None:
        return [f"--to-handler {name!r}: unknown handler", *errors]
    if handler.message_type is None or handler.message_type.kind != "event":
        what = (
            "a reply handler" if handler.message_type is None else f"the handler of command {handler.message_type.name}"
        )
        errors.append(f"--to-handler {name} is {what}; catch-up is for event subscribers")
    elif any(t != handler.message_type.name for t in selection.types):
        errors.append(
            f"--to-handler {handler.name} subscribes to {handler.message_type.name} only, not to "
            + ", ".join(t for t in selection.types if t != handler.message_type.name)
        )
    return errors


def verdict(target: Target, *, force: bool) -> Verdict:
    """What a replay does with one target, decided from what the selection read."""
    if target.handler not in registry.handlers:
        return Verdict("fail", f"handler {target.handler} is no longer registered")
    if target.message.type not in registry.messages:
        return Verdict("fail", f"message type {target.message.type} is no longer defined")
    if target.delivery_id is None:
        return Verdict("deliver") if target.status is None else Verdict("skip", f"already delivered ({target.status})")
    if target.status == DeliveryStatus.SUCCEEDED and force:
        return Verdict("replay", "forced: it had already succeeded")
    if target.status in SKIPPED_BECAUSE:
        return Verdict("skip", SKIPPED_BECAUSE[target.status])
    return Verdict("replay")


def replay_run(request: ReplayRequest, *, on_batch: Callable[[Tally], None] | None = None) -> Tally:
    """Replay everything the request selects, one transaction per batch; returns the totals."""
    total = Tally()
    for targets in replay_targets(request):
        try:
            done = replay_batch(targets, request)
        except DatabaseError as error:  # counted, and the next batch may still go through
            done = Tally(matched=len(targets))
            done.fail(f"database error: {error}", len(targets))
        total.add(done)
        if on_batch:
            on_batch(total)
    return total


def replay_batch(targets: list[Target], request: ReplayRequest) -> Tally:
    """Replay one batch of targets read by ``replay_targets`` (perhaps a while ago): one transaction."""
    tally, runnable = Tally(matched=len(targets)), []
    for target in targets:
        decided = verdict(target, force=request.force)
        if decided.action == "skip":
            tally.skipped += 1
        elif decided.action == "fail":
            tally.fail(decided.reason)
        else:
            runnable.append(target)
    if runnable:
        apply = _deliver_new if request.to_handler else _reset
        with transaction.atomic():
            taken = apply(runnable, request, now=clock.now())  # due by the clock claims read
            if taken:
                wakeup.wake_on_commit(taken)
        tally.enqueued += taken
        tally.skipped += len(runnable) - taken  # changed since the selection read them: another replay won
    return tally


def _reset(targets: list[Target], request: ReplayRequest, *, now) -> int:
    """Put failed or dead (or, forced, succeeded) deliveries back to pending, if still as the selection saw them."""
    rows = Delivery.objects.select_for_update().filter(pk__in=[t.delivery_id for t in targets])
    current = {pk: (status, at) for pk, status, at in rows.values_list("pk", "status", "updated_at")}
    taken = [t for t in targets if current.get(t.delivery_id) == (t.status, t.updated_at)]
    if not taken:
        return 0
    Delivery.objects.filter(pk__in=[t.delivery_id for t in taken]).update(
        status=DeliveryStatus.PENDING,
        attempts=0,
        available_at=now,
        finished_at=None,
        lease_token=None,
        lease_expires_at=None,
        updated_at=now,
    )
    journal.append(*(_replayed(t, request, now=now, detail=f"was {t.status}") for t in taken))
    return len(taken)


def _deliver_new(targets: list[Target], request: ReplayRequest, *, now) -> int:
    """Create the subscriber's missing deliveries (none that another catch-up created meanwhile)."""
    handler = request.subscriber
    _serialise_catch_ups(handler.name)
    ids = [t.message.id for t in targets]
    have = set(Delivery.objects.filter(handler=handler.name, message_id__in=ids).values_list("message_id", flat=True))
    new = [t for t in targets if t.message.id not in have]
    if not new:
        return 0
    Delivery.objects.bulk_create(
        Delivery(
            message_id=t.message.id,
            handler=handler.name,
            context=handler.context,
            available_at=max(t.message.not_before or now, now),
        )
        for t in new
    )
    detail = f"catch-up: {handler.name} did not exist when this was published"
    journal.append(*(_replayed(t, request, now=now, detail=detail) for t in new))
    return len(new)


def _replayed(target: Target, request: ReplayRequest, *, now, detail: str):
    if target.status == DeliveryStatus.SUCCEEDED:
        detail += "; forced: it had already succeeded"
    return journal.entry_for(
        target.message,
        Step.REPLAYED,
        at=now,
        handler=target.handler,
        attempt=0,
        actor=request.actor,
        detail=f"{request.command}; {detail}"[:2000],
    )


def _serialise_catch_ups(handler_name: str) -> None:
    # SQLite's IMMEDIATE transactions already serialise writers; PostgreSQL needs a lock per handler.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CATCH_UP_LOCK_KEY + zlib.crc32(handler_name.encode())])
