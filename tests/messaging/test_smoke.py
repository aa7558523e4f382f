import pytest
from django.db import transaction

import messaging
from messaging.models import Delivery, DeliveryStatus
from tests.processes import wait_until
from tests.testapp.contracts import Ping
from tests.testapp.models import Effect


@pytest.mark.django_db
def test_published_event_runs_in_process(run_deliveries):
    messaging.publish(Ping(key="k"))
    assert run_deliveries() == 2
    assert set(Effect.objects.values_list("handler", flat=True)) == {"ping_a", "ping_b"}


@pytest.mark.cluster
def test_published_event_reaches_two_subscribers_through_a_real_cluster(qcluster, sweeper):
    with transaction.atomic():
        messaging.publish(Ping(key="live"))
    wait_until(lambda: Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 2, timeout=30)
    assert set(Effect.objects.values_list("handler", flat=True)) == {"ping_a", "ping_b"}
