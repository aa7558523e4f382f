"""Runs deliveries: the django-q2 task and what one attempt does.

One attempt = claim (its own transaction, so the attempt is counted even if
the process dies), then the handler's writes, the "succeeded" mark (a
compare-and-set on the lease token), the journal entries and any messages it
sends, all in one transaction. A failure rolls that transaction back and is
recorded in a new one by ``failures``; a lost lease rolls it back silently.
"""

import json
import logging
import os
from time import monotonic

from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from messaging.errors import (
    HandlerTimeoutError,
    InvalidPayloadError,
    LeaseLostError,
    PermanentError,
    SignatureMismatchError,
)
from messaging.models import Delivery, DeliveryStatus, JournalEntry, Step
from messaging.processes import board
from messaging.runtime import breaker, failures, faults, journal, limits, outcomes, signing, wakeup
from messaging.runtime.claims import (
    Claim,
    delivery_claim_batch,
    due_deliveries,
    lease_renew_if_short,
    leases_renew,
    release,
)
from messaging.runtime.conf import group_commit_seconds, messaging_settings
from messaging.runtime.context import Causation, causation
from messaging.runtime.registry import registry
from messaging.runtime.timeouts import time_limit

logger = logging.getLogger(__name__)


def run_due_deliveries() -> int:
    """The django-q2 task: run due deliveries until none is left, the budget is spent, or the cluster stops."""
    board.task_started()
    return drain(actor=f"worker:{os.getpid()}")


def drain(*, actor: str) -> int:
    """Run due deliveries for up to ``drain_seconds``; returns how many ran. Work left is handed to a fresh task."""
    deadline = monotonic() + messaging_settings().drain_seconds
    done = 0
    while not board.stop_requested():
        claims = delivery_claim_batch(actor=actor)
        if not claims:
            return done
        done += execute_batch(claims)
        if monotonic() >= deadline:
            if due_deliveries(timezone.now()).exists():
                wakeup.wake()  # budget spent with work left: hand over to a fresh task
            break
    return done


def execute_batch(claims: list[Claim]) -> int:
    """Run claimed deliveries in order, committing them in small groups.

    Each delivery runs in its own savepoint (its writes, its "succeeded" and
    its journal entries stand or fall together); the group shares one commit,
    kept to ``group_commit_seconds`` so that a slow handler gets its own. On
    SQLite, with one writer at a time, this turns a write transaction per
    delivery into one per group; elsewhere each delivery commits alone, so a
    group never holds one handler's row locks while another waits for locks. A crash loses the group's uncommitted
    successes: their leases expire and they run again, effects once.
    A delivery the fault lab slows down runs alone and last, its latency slept
    outside any transaction, so the others of its batch do not wait for it.
    The leases of the deliveries still waiting are renewed as the batch goes,
    so they never run out behind a slow one. Deliveries of
    a context whose breaker opens meanwhile, and all of them once the cluster
    is stopping, are given back unrun.
    """
    window = group_commit_seconds()
    lab = faults.snapshot()
    halted, ran = set(), 0
    pending = sorted(claims, key=lambda claim: bool(faults.latency_seconds(lab, claim.delivery.context)))
    while pending:
        if board.stop_requested():
            for claim in pending:
                release(claim)
            break
        leases_renew(pending)
        if faults.latency_seconds(lab, pending[0].delivery.context):
            claim = pending.pop(0)
            ran += _run(claim, lab, halted)
            continue
        with transaction.atomic():
            opened, successes = monotonic(), []  # the group's "started"/"succeeded" rows: one insert
            ran += _run(pending.pop(0), lab, halted, successes)
            while pending and monotonic() - opened <= window:
                if faults.latency_seconds(lab, pending[0].delivery.context):
                    break  # it runs alone, after this group's commit
                ran += _run(pending.pop(0), lab, halted, successes)
            if successes:
                journal.append(*successes)
    return ran


def _run(claim: Claim, lab: dict, halted: set[str], successes: list | None = None) -> int:
    """Execute one claim of a batch, or give it back if its context's breaker opened; 1 if it ran."""
    context = claim.delivery.context
    if context in halted:
        release(claim)
        return 0
    if not execute(claim, lab, successes) and breaker.is_blocking(context, timezone.now()):
        halted.add(context)
    return 1


def execute(claim: Claim, lab: dict | None = None, successes: list | None = None) -> bool:
    """Run one claimed delivery and record its outcome; True if it succeeded.

    ``lab`` is the fault lab's snapshot (read here if not given). Given
    ``successes``, the journal rows of a success are added to it, for the
    caller to write in the same transaction (after the savepoint, they can no
    longer be undone).
    """
    delivery = claim.delivery
    row = delivery.message
    lab = faults.snapshot() if lab is None else lab
    started_at, started = timezone.now(), monotonic()
    origin = Causation(row.correlation_id, causation_id=str(row.id), actor=delivery.handler, attempt=delivery.attempts)
    with causation(origin):
        try:
            handler = registry.handler(delivery.handler)
            message = _load(row)
            faults.raise_if_failing(lab, delivery.context)
            if not lease_renew_if_short(claim):
                raise LeaseLostError(f"delivery {delivery.pk} lease lost before it started")
            what = f"handler {handler.name}"
            slept = faults.sleep_latency(lab, delivery.context, timeout=handler.timeout, what=what)
            with transaction.atomic():
                with time_limit(handler.timeout - slept, what, shown=handler.timeout):
                    result = handler(message)
                entries = _succeed(claim, result, started_at=started_at, duration_ms=(monotonic() - started) * 1000)
                if successes is None or row.reply_to:  # an outcome follows: "succeeded" goes first
                    journal.append(*entries)
                    entries = []
                outcomes.reply(row, delivery, succeeded=True, result=result)
            if successes is not None:
                successes.extend(entries)
            return True
        except LeaseLostError:
            logger.warning(
                "delivery %s was re-claimed by another worker; this run's effects are discarded", delivery.pk
            )
        except (Exception, HandlerTimeoutError) as error:
            logger.warning("delivery %s to %s failed: %s", delivery.pk, delivery.handler, error)
            failures.record(claim, error, started_at=started_at, duration_ms=(monotonic() - started) * 1000)
        return False


def _load(row):
    if not signing.is_authentic(row):
        raise SignatureMismatchError("signature mismatch: the stored message was altered")
    limits.check_payload_size(row)
    message_type = registry.message_type(row.type)
    if row.version != message_type.version:
        raise InvalidPayloadError(
            f"{row.type} version {row.version} is not supported (this code handles version {message_type.version})"
        )
    try:
        return message_type.model_validate(row.payload)
    except ValidationError as error:
        raise InvalidPayloadError(f"invalid payload for {row.type}: {error}") from error


def _succeed(claim: Claim, result, *, started_at, duration_ms: float) -> list[JournalEntry]:
    """Mark the delivery succeeded, in the handler's transaction, if the lease is still ours.

    Returns the attempt's journal rows, for the caller to write in the same transaction.
    """
    delivery, row, now = claim.delivery, claim.delivery.message, timezone.now()
    if result is not None and row.kind != "command":
        result = None  # only commands have outcomes worth keeping
    try:
        json.dumps(result)
    except TypeError as error:
        raise PermanentError(f"handler {delivery.handler} returned a value that is not JSON: {error}") from error
    still_ours = Delivery.objects.filter(pk=delivery.pk, lease_token=claim.token, status=DeliveryStatus.RUNNING).update(
        status=DeliveryStatus.SUCCEEDED,
        lease_token=None,
        lease_expires_at=None,
        last_error="",
        traceback="",
        result=result,
        finished_at=now,
        updated_at=now,
    )
    if not still_ours:  # re-claimed by another worker: roll this run back
        raise LeaseLostError(f"delivery {delivery.pk} lease lost")
    if not claim.breaker_clean:
        breaker.record_success(delivery.context)
    return [
        journal.started(claim, at=started_at),
        journal.entry_for(row, Step.SUCCEEDED, delivery=delivery, at=now, actor=claim.actor, duration_ms=duration_ms),
    ]
