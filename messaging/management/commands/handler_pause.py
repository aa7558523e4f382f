"""``manage.py handler_pause``: pause handlers, through ``controls.handler_pause`` as the admin and the
dashboard do (the same form, the same journal entry)."""

from messaging.management.switches import HandlerSwitchCommand


class Command(HandlerSwitchCommand):
    paused = True
    help = """Pause handlers: their deliveries wait, unclaimed and not counted as attempts, until
handler_resume. Journaled as "paused" with cli:<login> as the actor. Names
are checked first: one unknown name and nothing changes.

examples:
  manage.py handler_pause vendors.notify_vendor
  manage.py handler_pause orders.receipt_email orders.catalog_add_product
"""
