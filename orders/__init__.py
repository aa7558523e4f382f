"""Order Management: orders and their payment.

Publishes ``orders.OrderPaid``; accepts ``orders.CancelOrder``. Talks to
Vendors only through ``messaging`` and ``vendors.contracts``.
"""
