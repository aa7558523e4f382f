import pytest

from messaging.models import Subscription
from messaging.runtime.registry import registry


@pytest.fixture
def vendors_paused(db):
    """Vendors' handlers hold their deliveries: a test plays the vendors' part by publishing their events."""
    names = [h.name for h in registry.handlers.values() if h.context == "vendors"]
    Subscription.objects.bulk_create([Subscription(handler=name, paused=True) for name in names])
    return names
