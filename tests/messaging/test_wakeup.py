import pytest
from django_q.models import OrmQ

from messaging.runtime import wakeup

pytestmark = pytest.mark.django_db


def test_a_wake_up_asks_for_one_task_per_worker_at_most():
    assert wakeup.wake(deliveries=50) == wakeup.worker_count() == 2

    assert OrmQ.objects.count() == 2


def test_wake_ups_already_waiting_in_the_broker_are_not_doubled():
    wakeup.wake(deliveries=1)

    assert wakeup.wake(deliveries=1) == 0  # the waiting task will run after this commit anyway
    assert wakeup.wake(deliveries=5) == 1  # only the shortfall
    assert OrmQ.objects.count() == 2
