import pytest

import messaging
from tests.testapp.contracts import Ping
from tests.testapp.models import Effect


@pytest.mark.django_db
def test_published_event_runs_in_process(run_deliveries):
    messaging.publish(Ping(key="k"))
    assert run_deliveries() == 2
    assert set(Effect.objects.values_list("handler", flat=True)) == {"ping_a", "ping_b"}
