"""The store's settings: one row, changed by staff through the admin, the dashboard or ``store_style``.

Every change is journaled as an operator's control, with who made it, in the transaction of the change.
"""

import messaging
from messaging import controls
from orders.models import StoreSettings


def store_settings() -> StoreSettings:
    """The one row, or the defaults (unsaved) while staff have not saved any."""
    return StoreSettings.objects.order_by("pk").first() or StoreSettings()


@messaging.atomic_retried
def store_settings_update(
    *, style: str | None = None, vendor_timeout_seconds: int | None = None, actor: str = ""
) -> StoreSettings:
    """Change the settings (creating the row if need be); a value left ``None`` is kept.

    ``actor`` names who asked (every door gives one). A change is journaled as ``style: event → command``
    (and the timeout likewise); saving the same values again changes nothing and journals nothing.
    """
    current = StoreSettings.objects.select_for_update().order_by("pk").first() or StoreSettings()
    before = {"style": current.style, "vendor timeout": f"{current.vendor_timeout_seconds}s"}
    if style is not None:
        current.style = style
    if vendor_timeout_seconds is not None:
        current.vendor_timeout_seconds = vendor_timeout_seconds
    current.full_clean()
    current.save()
    after = {"style": current.style, "vendor timeout": f"{current.vendor_timeout_seconds}s"}
    changes = [f"{name}: {before[name]} → {after[name]}" for name in before if before[name] != after[name]]
    if changes:
        controls.control_recorded(context="orders", actor=actor, detail="; ".join(changes))
    return current
