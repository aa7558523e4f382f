"""Vendors' writes. Each runs in one transaction with the messages it emits.

``catalogue``: vendors and products, published as events so Orders can keep its own read model.
``notifications``: paid orders told to a vendor, exactly once, with the stock they reserve.
"""

from vendors.services.catalogue import (
    catalogue_republish,
    product_change_price,
    product_change_stock,
    product_list,
    vendor_create,
)
from vendors.services.notifications import (
    NotificationStateError,
    notification_accept,
    notification_prepare,
    notifications_cancel,
    vendor_notify,
)

__all__ = [
    "NotificationStateError",
    "catalogue_republish",
    "notification_accept",
    "notification_prepare",
    "notifications_cancel",
    "product_change_price",
    "product_change_stock",
    "product_list",
    "vendor_create",
    "vendor_notify",
]
