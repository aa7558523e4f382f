"""Runs deliveries: the django-q2 task and what one attempt does.

One attempt = claim (its own transaction, so the attempt is counted even if
the process dies), then the handler's writes, the "succeeded" mark, the
journal entry and any messages it sends, all in one transaction that first
checks the lease token. A failure rolls that transaction back and is recorded
in a new one by ``failures``.
"""

import json
import logging
import os
from time import monotonic

from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from messaging import breaker, failures, journal, outcomes, signing, wakeup
from messaging.claims import Claim, delivery_claim_next, due_deliveries
from messaging.conf import messaging_settings
from messaging.context import Causation, causation
from messaging.errors import (
    HandlerTimeoutError,
    InvalidPayloadError,
    LeaseLostError,
    PermanentError,
    SignatureMismatchError,
)
from messaging.models import Delivery, DeliveryStatus, Step
from messaging.registry import registry
from messaging.timeouts import time_limit

logger = logging.getLogger(__name__)


def run_due_deliveries() -> int:
    """The django-q2 task: run due deliveries until none is left or the budget is spent."""
    settings = messaging_settings()
    actor = f"worker:{os.getpid()}"
    deadline = monotonic() + settings.drain_seconds
    done = 0
    while done < settings.drain_batch and monotonic() < deadline:
        claim = delivery_claim_next(actor=actor)
        if claim is None:
            return done
        execute(claim)
        done += 1
    if due_deliveries(timezone.now()).exists():
        wakeup.wake()  # budget spent with work left: hand over to a fresh task
    return done


def execute(claim: Claim) -> None:
    """Run one claimed delivery and record its outcome."""
    delivery = claim.delivery
    row = delivery.message
    started = monotonic()
    origin = Causation(row.correlation_id, causation_id=str(row.id), actor=delivery.handler, attempt=delivery.attempts)
    with causation(origin):
        try:
            handler = registry.handler(delivery.handler)
            message = _load(row)
            with transaction.atomic():
                _check_lease(claim)
                with time_limit(handler.timeout, f"handler {handler.name}"):
                    result = handler(message)
                _succeed(claim, result, duration_ms=(monotonic() - started) * 1000)
        except LeaseLostError:
            logger.warning(
                "delivery %s was re-claimed by another worker; this run's effects are discarded", delivery.pk
            )
        except (Exception, HandlerTimeoutError) as error:
            logger.warning("delivery %s to %s failed: %s", delivery.pk, delivery.handler, error)
            failures.record(claim, error, duration_ms=(monotonic() - started) * 1000)


def _load(row):
    if not signing.is_authentic(row):
        raise SignatureMismatchError("signature mismatch: the stored message was altered")
    message_type = registry.message_type(row.type)
    if row.version != message_type.version:
        raise InvalidPayloadError(
            f"{row.type} version {row.version} is not supported (this code handles version {message_type.version})"
        )
    try:
        return message_type.model_validate(row.payload)
    except ValidationError as error:
        raise InvalidPayloadError(f"invalid payload for {row.type}: {error}") from error


def _check_lease(claim: Claim) -> None:
    still_ours = (
        Delivery.objects.select_for_update()
        .filter(pk=claim.delivery.pk, lease_token=claim.token, status=DeliveryStatus.RUNNING)
        .exists()
    )
    if not still_ours:
        raise LeaseLostError(f"delivery {claim.delivery.pk} lease lost")


def _succeed(claim: Claim, result, *, duration_ms: float) -> None:
    delivery, row, now = claim.delivery, claim.delivery.message, timezone.now()
    if result is not None and row.kind != "command":
        result = None  # only commands have outcomes worth keeping
    try:
        json.dumps(result)
    except TypeError as error:
        raise PermanentError(f"handler {delivery.handler} returned a value that is not JSON: {error}") from error
    Delivery.objects.filter(pk=delivery.pk, lease_token=claim.token).update(
        status=DeliveryStatus.SUCCEEDED,
        lease_token=None,
        lease_expires_at=None,
        last_error="",
        traceback="",
        result=result,
        finished_at=now,
        updated_at=now,
    )
    journal.append(
        journal.entry_for(row, Step.SUCCEEDED, delivery=delivery, at=now, actor=claim.actor, duration_ms=duration_ms)
    )
    breaker.record_success(delivery.context)
    outcomes.reply(row, delivery, succeeded=True, result=result)
