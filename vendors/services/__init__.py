"""Vendors' writes. Each runs in one transaction with the messages it emits.

``products``: vendors and their products, published as events so Orders can keep its own read model.
``notifications``: paid orders told to a vendor, exactly once, with the stock they reserve.
``lab``: the trade-off lab's own vendors and products, kept stocked.
"""

from vendors.services.lab import LabVendor, lab_vendors_ensure
from vendors.services.notifications import (
    NotificationStateError,
    notification_accept,
    notification_prepare,
    notifications_cancel,
    vendor_notify,
)
from vendors.services.products import (
    product_change_price,
    product_change_stock,
    product_list,
    products_republish,
    vendor_create,
    vendor_staff_add,
)

__all__ = [
    "LabVendor",
    "NotificationStateError",
    "lab_vendors_ensure",
    "notification_accept",
    "notification_prepare",
    "notifications_cancel",
    "product_change_price",
    "product_change_stock",
    "product_list",
    "products_republish",
    "vendor_create",
    "vendor_notify",
    "vendor_staff_add",
]
