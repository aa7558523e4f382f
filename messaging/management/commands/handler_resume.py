"""``manage.py handler_resume``: resume paused handlers, through ``controls.handler_resume`` as the admin and
the dashboard do (the same form, the same journal entry)."""

from messaging.management.switches import HandlerSwitchCommand


class Command(HandlerSwitchCommand):
    paused = False
    help = """Resume paused handlers: their waiting deliveries run, the workers woken. Journaled
as "resumed" with cli:<login> as the actor. Names are checked first: one
unknown name and nothing changes.

examples:
  manage.py handler_resume vendors.notify_vendor
"""
