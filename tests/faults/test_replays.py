"""Two operators replay the same dead letters at the same moment: each delivery runs again exactly once."""

from collections import Counter

from django.db import transaction
from django.utils import timezone

import messaging
from messaging.models import Delivery, DeliveryStatus, HandlerState, JournalEntry, Step
from tests.faults import ledger
from tests.faults.scenario import judge
from tests.processes import ManagedProcess
from tests.testapp.contracts import Positive
from tests.testapp.models import Effect

DEAD_LETTERS = 300


def test_15_two_replays_of_the_same_dead_letters_at_once(stack, shop, report, tmp_path):
    HandlerState.objects.create(handler="tests.positive", paused=True)
    with transaction.atomic():
        for number in range(1, DEAD_LETTERS + 1):
            messaging.publish(Positive(number=number))
    Delivery.objects.filter(handler="tests.positive").update(
        status=DeliveryStatus.DEAD, attempts=5, last_error="ConnectionError: outage", finished_at=timezone.now()
    )
    HandlerState.objects.filter(handler="tests.positive").update(paused=False)

    command = ("replay_messages", "--status", "dead", "--type", "tests.Positive", "--yes")
    replays = [ManagedProcess(*command, log=tmp_path / f"replay-{n}.log") for n in range(2)]
    for replay in replays:
        replay.process.wait(120)
    ledger.settle()

    assert [replay.process.returncode for replay in replays] == [0, 0], [r.output()[-2000:] for r in replays]
    replayed = Counter(JournalEntry.objects.filter(step=Step.REPLAYED).values_list("message_id", "handler"))
    assert len(replayed) == DEAD_LETTERS and set(replayed.values()) == {1}  # each taken by one replay only
    effects = Counter(Effect.objects.filter(handler="positive").values_list("key", flat=True))
    assert len(effects) == DEAD_LETTERS and set(effects.values()) == {1}  # and run once
    judge(stack, shop, report, dead_letters_replayed=DEAD_LETTERS)
