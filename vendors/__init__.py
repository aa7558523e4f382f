"""Vendor Management: vendors, their products, and the paid orders they must prepare.

Publishes its products (``ProductListed``, ``ProductPriceChanged``,
``ProductStockChanged``) and how it answers a paid order (``VendorNotified``,
``StockUnavailable``, ``VendorAccepted``, ``OrderPrepared``); accepts the
``NotifyVendor`` command and subscribes to ``orders.OrderPaid`` (event style)
and ``orders.OrderCancelled``. Talks to Orders only through ``messaging`` and
``orders.contracts``. The vendor portal (``/vendors/``) is its web edge.
The trade-off lab's vendors are vendors like any other, flagged ``lab`` (and
so are their products in ``ProductListed``), kept by ``lab_vendors_ensure``.
"""
