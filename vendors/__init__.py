"""Vendor Management: vendors and the notifications of orders they must prepare.

Publishes ``vendors.VendorNotified``; accepts ``vendors.NotifyVendor``. Talks
to Orders only through ``messaging`` and ``orders.contracts``.
"""
