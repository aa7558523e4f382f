"""replay_messages against a real qcluster: the replayed effects happen, exactly once."""

import pytest
from django.db import transaction

from messaging.models import Delivery, DeliveryStatus
from tests.messaging.replay_helpers import dead_lettered, replay
from tests.processes import wait_until
from tests.testapp.contracts import Ping
from tests.testapp.models import Effect

pytestmark = pytest.mark.cluster


def all_succeeded() -> bool:
    return set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}


def test_dead_letters_replayed_while_the_cluster_runs_take_effect_once(qcluster):
    with transaction.atomic():  # dead before commit: the wake-up of the publish finds nothing due
        for n in range(20):
            dead_lettered(Ping(key=f"lost-{n}"))

    out = replay("--status", "dead", "--type", "tests.Ping")
    again = replay("--type", "tests.Ping")  # at once, while the workers run the first: nothing twice

    assert out.splitlines()[-1] == "Matched 40, enqueued 40, skipped 0, failed 0."
    assert again.splitlines()[-1] == "Matched 40, enqueued 0, skipped 40, failed 0."
    wait_until(all_succeeded, timeout=30, message="every replayed delivery to succeed")
    assert Effect.objects.count() == 40  # unique (handler, key): a doubled effect would have failed the handler
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}

    last = replay("--type", "tests.Ping")  # once they succeeded, a replay without --force skips them

    assert last.splitlines()[-1] == "Matched 40, enqueued 0, skipped 40, failed 0."
    assert Effect.objects.count() == 40
