import pytest

from messaging.models import HandlerState
from messaging.runtime.registry import registry


@pytest.fixture
def vendors_paused(db):
    """Vendors' handlers hold their deliveries: a test plays the vendors' part by publishing their events."""
    names = [h.name for h in registry.handlers.values() if h.context == "vendors"]
    HandlerState.objects.bulk_create([HandlerState(handler=name, paused=True) for name in names])
    return names
