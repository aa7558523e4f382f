"""Order Management: the catalog read model, orders, their payment and their lifecycle.

Publishes ``orders.OrderPaid`` (in both styles) and ``orders.OrderCancelled``;
sends ``vendors.NotifyVendor`` in command style and ``orders.CheckVendorResponses``
to itself, delayed. Listens to Vendors' catalog events and to their answers
(``VendorNotified``, ``VendorAccepted``, ``OrderPrepared``, ``StockUnavailable``).
Talks to Vendors only through ``messaging`` and ``vendors.contracts``.
The trade-off lab's orders are tagged with its run (``experiment``) and hold
only the lab's products; the storefront and the shop's figures leave both out.
"""
