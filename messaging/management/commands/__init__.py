"""``manage.py`` commands: doors to messaging's services (see ``messaging.management``)."""
