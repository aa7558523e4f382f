"""Two replays of the same deliveries at once: each delivery is taken by one of them, once."""

import threading
from collections import Counter

import pytest
from django.db import connection

from messaging.models import Delivery, DeliveryStatus
from messaging.operations.replay import ReplayRequest, Tally, replay_run
from messaging.operations.selection import selection_build
from tests.messaging.replay_helpers import dead_lettered, replayed_entries
from tests.testapp.contracts import Ping


def replay_in_thread(actor: str, barrier: threading.Barrier, results: dict) -> None:
    try:
        request = ReplayRequest(
            selection=selection_build(types=["tests.Ping"]), actor=actor, command="replay_messages", batch_size=7
        )
        barrier.wait()
        results[actor] = replay_run(request)
    except BaseException as error:  # reported by the test, not lost in the thread
        results[actor] = error
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_two_replays_at_once_reset_each_delivery_once(run_deliveries):
    for n in range(60):
        dead_lettered(Ping(key=f"p{n}"))  # 120 dead deliveries
    barrier, results = threading.Barrier(2), {}
    threads = [threading.Thread(target=replay_in_thread, args=(actor, barrier, results)) for actor in ("one", "two")]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    tallies: list[Tally] = [results["one"], results["two"]]
    assert all(isinstance(tally, Tally) for tally in tallies), results
    assert [tally.matched for tally in tallies] == [120, 120]
    assert sum(tally.enqueued for tally in tallies) == 120
    assert sum(tally.skipped for tally in tallies) == 120  # already pending, or taken meanwhile by the other
    per_delivery = Counter((entry.message_id, entry.handler) for entry in replayed_entries())
    assert len(per_delivery) == 120 and set(per_delivery.values()) == {1}
    assert set(Delivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.PENDING, 0)}
    assert run_deliveries() == 120
