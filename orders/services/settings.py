"""The store's settings: one row, edited by staff (the admin, the dashboard)."""

import messaging
from orders.models import StoreSettings


def store_settings() -> StoreSettings:
    """The one row, or the defaults (unsaved) while staff have not saved any."""
    return StoreSettings.objects.order_by("pk").first() or StoreSettings()


@messaging.atomic_retried
def store_settings_update(*, style: str | None = None, vendor_timeout_seconds: int | None = None) -> StoreSettings:
    """Change the settings (creating the row if need be); a value left ``None`` is kept."""
    current = StoreSettings.objects.select_for_update().order_by("pk").first() or StoreSettings()
    if style is not None:
        current.style = style
    if vendor_timeout_seconds is not None:
        current.vendor_timeout_seconds = vendor_timeout_seconds
    current.full_clean()
    current.save()
    return current
