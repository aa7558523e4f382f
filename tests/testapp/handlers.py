import os
import time
from pathlib import Path

import messaging
from messaging import PermanentError, RetryPolicy, handler, reply_handler
from messaging.runtime.context import current
from tests.testapp.contracts import Chain, Crashy, Doomed, DoWork, Flaky, Ping, Positive, Rejected, Slow
from tests.testapp.models import Effect

FAST = RetryPolicy(immediate=2, delayed=2, base_delay=0.2, factor=2, jitter=0.1)


def record(handler_name: str, key: str, data=None) -> Effect:
    active = current()
    return Effect.objects.create(
        handler=handler_name,
        key=key,
        attempt=active.attempt if active else 0,
        correlation_id=active.correlation_id if active else "",
        causation_id=active.causation_id if active else "",
        data=data,
    )


@handler(Ping)
def ping_a(event: Ping):
    record("ping_a", event.key)


@handler(Ping)
def ping_b(event: Ping):
    record("ping_b", event.key)


@handler(Flaky, retry=FAST)
def flaky(event: Flaky):
    record("flaky", event.key)  # rolled back with the failure: only the last attempt's stays
    if current().attempt <= event.fail_times:
        raise ConnectionError(f"flaky failure on attempt {current().attempt}")


@handler(Doomed, retry=FAST)
def doomed_fails(event: Doomed):
    record("doomed_fails", event.key)
    raise RuntimeError("this subscriber always fails")


@handler(Doomed, retry=FAST)
def doomed_sibling(event: Doomed):
    record("doomed_sibling", event.key)


@handler(Slow, retry=FAST, timeout=1.0)
def slow(event: Slow):
    record("slow", event.key)
    if current().attempt <= event.slow_times:
        time.sleep(event.seconds)


@handler(Crashy, retry=FAST, timeout=2.0)
def crashy(event: Crashy):
    record("crashy", event.key)
    if current().attempt == 1:
        Path(event.pid_file).write_text(str(os.getpid()))
        time.sleep(60)  # the test kills this process now


@handler(Rejected, retry=FAST)
def rejected(event: Rejected):
    raise PermanentError(f"{event.key} can never be handled")


@handler(Positive)
def positive(event: Positive):
    record("positive", str(event.number))


@handler(Chain)
def chain(event: Chain):
    messaging.publish(Ping(key=f"{event.key}-child"))


@handler(DoWork, retry=FAST)
def do_work(command: DoWork):
    if command.fail:
        raise PermanentError(f"cannot do {command.key}")
    record("do_work", command.key)
    return {"done": command.key}


@reply_handler
def work_outcome(outcome: messaging.CommandOutcome):
    record("work_outcome", str(outcome.command_id), data=outcome.model_dump(mode="json"))


# --- appended for the in-process unit tests -----------------------------------------
from tests.testapp.contracts import Noted, Unserialisable  # noqa: E402


@handler(Unserialisable)
def unserialisable(command: Unserialisable):
    record("unserialisable", command.key)
    return {command.key}  # a set: the outcome cannot be stored


@reply_handler
def outcome_log(outcome: messaging.CommandOutcome):
    """Records every outcome (one per delivered CommandOutcome message), not one per command."""
    record("outcome_log", current().causation_id, data=outcome.model_dump(mode="json"))


@handler(Noted)
def noted(event: Noted):
    return record("noted", event.key)


from django.db import OperationalError  # noqa: E402
from django.db.models import F  # noqa: E402

from messaging.models import Delivery, DeliveryStatus  # noqa: E402
from tests.testapp.contracts import Contended, LeaseProbe, Locking  # noqa: E402


@handler(LeaseProbe)
def lease_probe(event: LeaseProbe):
    others = Delivery.objects.filter(status=DeliveryStatus.RUNNING).exclude(handler="tests.lease_probe")
    leases = {str(pk): expiry.isoformat() for pk, expiry in others.values_list("pk", "lease_expires_at")}
    record("lease_probe", event.key, data=leases)


@handler(Contended, retry=FAST)
def contended(event: Contended):
    if current().attempt <= event.fail_times:
        raise OperationalError("database is locked")
    record("contended", event.key)


LOCKING_RUNS: list[str] = []  # every run of ``locking``, kept in memory: a run rolled back leaves no row


@handler(Locking)
def locking(event: Locking):
    LOCKING_RUNS.append(event.key)
    for key in event.rows:
        Effect.objects.select_for_update().get(handler="row", key=key)
        time.sleep(event.hold)
    Effect.objects.filter(handler="row", key__in=event.rows).update(attempt=F("attempt") + 1)
